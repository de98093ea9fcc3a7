using Microsoft.Extensions.Caching.Memory;

namespace Reclaim.Caching.Tests;

/// <summary>MemoryCacheShrinker: counts by entries, frees by Compact about the share asked.</summary>
public sealed class MemoryCacheShrinkerTests : IDisposable
{
    private readonly ShrinkerRegistry _registry = new(new ShrinkerRegistryOptions { NodeCount = 1 });
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());

    public void Dispose() => _cache.Dispose();

    private MemoryCacheShrinker Shrinker(Action<MemoryCacheShrinkerOptions>? configure = null)
    {
        var options = new MemoryCacheShrinkerOptions { Registry = _registry };
        configure?.Invoke(options);
        return new MemoryCacheShrinker(_cache, options);
    }

    private void Fill(int count, CacheItemPriority priority = CacheItemPriority.Normal, int from = 0)
    {
        for (int i = from; i < from + count; i++)
        {
            _cache.Set(i, $"v{i}", new MemoryCacheEntryOptions { Priority = priority });
        }
    }

    private static long Scan(MemoryCacheShrinker shrinker, long nrToScan, out long nrScanned)
    {
        var control = new ShrinkControl(0, null, nrToScan);
        long freed = shrinker.Shrinker.ScanObjects!(shrinker.Shrinker, ref control);
        nrScanned = control.NrScanned;
        return freed;
    }

    [Fact]
    public void Ctor_Defaults_RegistersANamedShrinkerThatIsNotGroupAware()
    {
        using var shrinker = new MemoryCacheShrinker(_cache);

        Assert.Same(ShrinkerRegistry.Default, shrinker.Shrinker.Registry);
        Assert.Equal("MemoryCache", shrinker.Shrinker.Name);
        Assert.True(shrinker.Shrinker.IsRegistered);
        Assert.False(shrinker.Shrinker.IsGroupAware);
        Assert.Equal((Reclaim.Shrinker.DefaultSeeks, MemoryCacheShrinkerOptions.DefaultBatch), (shrinker.Shrinker.Seeks, shrinker.Shrinker.Batch));
    }

    [Fact]
    public void CountObjects_EmptyCache_ReturnsEmpty()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        var control = new ShrinkControl(0, null, 0);

        Assert.Equal(Reclaim.Shrinker.Empty, shrinker.Shrinker.CountObjects!(shrinker.Shrinker, ref control));
        Fill(3);
        Assert.Equal(3, shrinker.Shrinker.CountObjects!(shrinker.Shrinker, ref control));
        Assert.Equal(3, _registry.ShrinkSlab(0, null, 0)); // a pass at priority 0 takes all 3
    }

    [Fact]
    public void ScanObjects_Direct_FreesWhatIsAsked()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        Fill(10_000);

        long freed = Scan(shrinker, 1_000, out long scanned);

        Assert.Equal(1_000, freed); // exactly: the half-entry guard keeps Compact's product from rounding down
        Assert.Equal(1_000, scanned);
        Assert.Equal(9_000, _cache.Count);
        Assert.Equal(128, Scan(shrinker, 128, out _));
    }

    [Fact]
    public void ScanObjects_EmptyCache_LooksAtNothing()
    {
        using MemoryCacheShrinker shrinker = Shrinker();

        Assert.Equal(0, Scan(shrinker, 100, out long scanned));
        Assert.Equal(0, scanned);
    }

    [Fact]
    public void ScanObjects_AskingForAll_EmptiesTheCache()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        Fill(500);

        Assert.Equal(500, Scan(shrinker, 5_000, out _));
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public void ShrinkSlab_PriorityZero_RemovesALargeShare()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        Fill(10_000);

        long freed = _registry.ShrinkSlab(0, null, 0);

        Assert.True(freed >= 5_000, $"a priority-0 pass freed only {freed} of 10,000 entries");
        Assert.Equal(10_000 - freed, _cache.Count);
        Assert.Equal(freed, shrinker.Shrinker.GetStatistics().ObjectsFreed);
    }

    [Fact]
    public void ShrinkSlab_PriorityTwelve_RemovesNoneOrLittle()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        Fill(10_000);

        long freed = _registry.ShrinkSlab(0, null, ShrinkerRegistry.DefaultPriority);

        Assert.InRange(freed, 0, 100);
        Assert.Equal(10_000 - freed, _cache.Count);
    }

    [Fact]
    public void ShrinkSlab_FallingPriorities_OneCompactTakesEachPasssWholeShare()
    {
        using MemoryCacheShrinker shrinker = Shrinker(o => o.Batch = 0); // the kernel's batch, 128
        Fill(10_000);

        long gentle = _registry.ShrinkSlab(0, null, 5);
        long harder = _registry.ShrinkSlab(0, null, 2);

        // Each pass asks 4 * (count >> priority) / seeks and the one Compact takes it all (batches of 128 would leave
        // the remainder deferred): 624 of 10,000, then 4 * (9,376 >> 2) / 2 = 4,688; nothing deferred.
        Assert.Equal(624, gentle);
        Assert.Equal(4_688, harder);
        Assert.Equal(10_000 - 624 - 4_688, _cache.Count);
        Assert.Equal(0, shrinker.Shrinker.GetDeferred(0));
        Assert.Equal(624 + 4_688, shrinker.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void ShrinkSlab_ShareBelowOneBatch_IsDeferredNotCompacted()
    {
        using MemoryCacheShrinker shrinker = Shrinker(); // batch 1,024
        Fill(10_000);

        long freed = _registry.ShrinkSlab(0, null, 5); // asks 624: below a batch

        Assert.Equal(0, freed);
        Assert.Equal(10_000, _cache.Count);
        Assert.Equal(624, shrinker.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ScanObjects_MixedPriorities_MemoryCacheRulesDecideLowFirstNeverRemoveNever()
    {
        using MemoryCacheShrinker shrinker = Shrinker();
        Fill(100, CacheItemPriority.High, from: 0);
        Fill(100, CacheItemPriority.Low, from: 100);
        Fill(100, CacheItemPriority.NeverRemove, from: 200);

        Assert.Equal(100, Scan(shrinker, 100, out _));
        Assert.All(Enumerable.Range(100, 100), k => Assert.False(_cache.TryGetValue(k, out _)));
        Assert.All(Enumerable.Range(0, 100), k => Assert.True(_cache.TryGetValue(k, out _)));

        // Asking for everything takes the High ones but never the NeverRemove ones.
        Assert.Equal(100, Scan(shrinker, 1_000, out _));
        Assert.Equal(100, _cache.Count);
        Assert.All(Enumerable.Range(200, 100), k => Assert.True(_cache.TryGetValue(k, out _)));
    }

    [Fact]
    public void Dispose_FreesTheShrinkerAndLeavesTheCache()
    {
        MemoryCacheShrinker shrinker = Shrinker();
        Fill(10);

        shrinker.Dispose();
        shrinker.Dispose();

        Assert.Equal(ShrinkerState.Freed, shrinker.Shrinker.State);
        Assert.Equal(0, _registry.RegisteredCount);
        Assert.Equal(0, _registry.ShrinkSlab(0, null, 0));
        Assert.Equal(10, _cache.Count);
    }

    public static TheoryData<string, string> InvalidOptions => new()
    {
        { "name", "Name" },
        { "registry", "Registry" },
        { "seeks", "Seeks" },
        { "batch", "Batch" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Ctor_InvalidOption_ThrowsArgumentExceptionNamingIt(string which, string option)
    {
        var options = new MemoryCacheShrinkerOptions { Registry = _registry };
        switch (which)
        {
            case "name": options.Name = ""; break;
            case "registry": options.Registry = null!; break;
            case "seeks": options.Seeks = -1; break;
            default: options.Batch = -1; break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(() => new MemoryCacheShrinker(_cache, options));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains($"MemoryCacheShrinkerOptions.{option}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _registry.RegisteredCount);
        Assert.Throws<ArgumentNullException>(() => new MemoryCacheShrinker(null!, new MemoryCacheShrinkerOptions { Registry = _registry }));
    }
}
