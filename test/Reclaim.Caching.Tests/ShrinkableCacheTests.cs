using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache: get/add/update/remove semantics, options, eviction reasons.</summary>
public partial class ShrinkableCacheTests
{
    private static CacheTestKit<int, string> Kit(Action<ShrinkableCacheOptions<int, string>>? configure = null) => new(configure);

    [Fact]
    public void TryGetValue_Missing_ReturnsFalseAndCountsMiss()
    {
        using var kit = Kit();

        Assert.False(kit.Cache.TryGetValue(1, out string? value));

        Assert.Null(value);
        Assert.Equal((0, 1), (kit.Cache.GetStatistics().Hits, kit.Cache.GetStatistics().Misses));
    }

    [Fact]
    public void Set_ThenTryGetValue_ReturnsValueAndCountsHit()
    {
        using var kit = Kit();

        Assert.True(kit.Cache.Set(1, "one"));

        Assert.True(kit.Cache.TryGetValue(1, out string? value));
        Assert.Equal("one", value);
        Assert.Equal(1, kit.Cache.Count);
        Assert.Equal((1, 0), (kit.Cache.GetStatistics().Hits, kit.Cache.GetStatistics().Misses));
        kit.AssertConsistent();
    }

    [Fact]
    public void Set_ExistingKey_ReplacesValueAndReportsOldAsReplaced()
    {
        using var kit = Kit();
        kit.Cache.Set(1, "one");

        Assert.True(kit.Cache.Set(1, "uno"));

        Assert.True(kit.Cache.TryGetValue(1, out string? value));
        Assert.Equal("uno", value);
        Assert.Equal(1, kit.Cache.Count);
        Assert.Equal([(1, "one", CacheEvictionReason.Replaced)], kit.Evictions);
        kit.AssertConsistent();
    }

    [Fact]
    public void GetOrAdd_Missing_CallsFactoryOnceAndCaches()
    {
        using var kit = Kit();
        int calls = 0;

        string first = kit.Cache.GetOrAdd(7, k => { calls++; return $"v{k}"; });
        string second = kit.Cache.GetOrAdd(7, k => { calls++; return "other"; });

        Assert.Equal(("v7", "v7", 1), (first, second, calls));
        Assert.Equal((1, 1), (kit.Cache.GetStatistics().Hits, kit.Cache.GetStatistics().Misses));
        Assert.Equal(1, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public void GetOrAdd_WithArgument_PassesArgumentToFactory()
    {
        using var kit = Kit();

        string value = kit.Cache.GetOrAdd(3, static (k, prefix) => prefix + k, "key-");

        Assert.Equal("key-3", value);
        Assert.True(kit.Cache.TryGetValue(3, out string? cached));
        Assert.Equal("key-3", cached);
    }

    [Fact]
    public void GetOrAdd_FactoryThrows_CachesNothing()
    {
        using var kit = Kit();

        Assert.Throws<InvalidOperationException>(() => kit.Cache.GetOrAdd(1, _ => throw new InvalidOperationException("boom")));

        Assert.Equal(0, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public void TryRemove_Present_RemovesReturnsValueAndReportsRemoved()
    {
        using var kit = Kit();
        kit.Cache.Set(1, "one");
        kit.Cache.Set(2, "two");

        Assert.True(kit.Cache.TryRemove(1, out string? value));
        Assert.False(kit.Cache.TryRemove(1, out _));
        Assert.True(kit.Cache.TryRemove(2));

        Assert.Equal("one", value);
        Assert.Equal(0, kit.Cache.Count);
        Assert.False(kit.Cache.TryGetValue(1, out _));
        Assert.Equal([(1, "one", CacheEvictionReason.Removed), (2, "two", CacheEvictionReason.Removed)], kit.Evictions);
        kit.AssertConsistent();
    }

    [Fact]
    public void Count_FollowsAddsReplacesAndRemoves()
    {
        using var kit = Kit();

        for (int i = 0; i < 100; i++)
        {
            kit.Cache.Set(i, "x");
        }

        for (int i = 0; i < 50; i++)
        {
            kit.Cache.Set(i, "y");
        }

        for (int i = 0; i < 100; i += 4)
        {
            kit.Cache.TryRemove(i);
        }

        Assert.Equal(75, kit.Cache.Count);
        Assert.Equal(75, kit.Cache.GetStatistics().Entries);
        kit.AssertConsistent();
    }

    [Fact]
    public void Clear_RemovesEverythingAndReportsCleared()
    {
        using var kit = Kit();
        for (int i = 0; i < 10; i++)
        {
            kit.Cache.Set(i, $"v{i}");
        }

        kit.Cache.Clear();

        Assert.Equal(0, kit.Cache.Count);
        Assert.Equal(10, kit.EvictionsOf(CacheEvictionReason.Cleared).Length);
        Assert.False(kit.Cache.TryGetValue(3, out _));
        Assert.True(kit.Cache.Set(3, "again"));
        kit.AssertConsistent();
    }

    [Fact]
    public void Clear_OnEvictedThrows_RemovesEveryEntryThenThrowsFirst()
    {
        int calls = 0;
        using var kit = Kit(o => o.OnEvicted = (k, _, _) => { calls++; throw new InvalidOperationException($"evicted {k}"); });
        for (int i = 0; i < 5; i++)
        {
            kit.Cache.Set(i, "v");
        }

        Assert.Throws<InvalidOperationException>(kit.Cache.Clear);

        Assert.Equal(5, calls);
        Assert.Equal(0, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public void Comparer_Option_IsUsedForKeys()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        using var cache = new ShrinkableCache<string, int>(new() { Registry = registry, Comparer = StringComparer.OrdinalIgnoreCase });

        cache.Set("Key", 1);

        Assert.True(cache.TryGetValue("KEY", out int value));
        Assert.Equal(1, value);
    }

    [Fact]
    public void Ctor_Defaults_RegistersGroupAwareShrinkerNamedAfterTypesInDefaultRegistryRoot()
    {
        using var cache = new ShrinkableCache<int, string>();

        Assert.Same(ShrinkerRegistry.Default, cache.Shrinker.Registry);
        Assert.Same(ShrinkerRegistry.Default.Root, cache.Group);
        Assert.Equal("ShrinkableCache<Int32,String>", cache.Shrinker.Name);
        Assert.True(cache.Shrinker.IsRegistered);
        Assert.True(cache.Shrinker.IsGroupAware);
        Assert.Equal(Shrinker.DefaultSeeks, cache.Shrinker.Seeks);
    }

    [Fact]
    public void Ctor_Options_NameAndSeeksReachTheShrinker()
    {
        using var kit = Kit(o => { o.Name = "  users  "; o.Seeks = 5; });

        Assert.Equal("users", kit.Cache.Shrinker.Name);
        Assert.Equal(5, kit.Cache.Shrinker.Seeks);
        Assert.Same(kit.Group, kit.Cache.Group);
    }

    public static TheoryData<string, string> InvalidOptions => new()
    {
        { "name", "Name" },
        { "registry", "Registry" },
        { "seeks", "Seeks" },
        { "group", "Group" },
        { "admission", "Admission" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Ctor_InvalidOption_ThrowsArgumentExceptionNamingIt(string which, string option)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        var options = new ShrinkableCacheOptions<int, string> { Registry = registry };
        switch (which)
        {
            case "name": options.Name = " "; break;
            case "registry": options.Registry = null!; break;
            case "seeks": options.Seeks = -1; break;
            case "admission": options.Admission = (CacheAdmission)7; break;
            default: options.Group = new ShrinkerRegistry().Root.CreateChild("elsewhere"); break;
        }

        var ex = Assert.ThrowsAny<ArgumentException>(() => new ShrinkableCache<int, string>(options));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains($"ShrinkableCacheOptions.{option}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.RegisteredCount);
    }

    [Fact]
    public void Operations_GroupOfAnotherRegistry_ThrowArgumentException()
    {
        using var kit = Kit();
        MemoryGroup foreign = new ShrinkerRegistry().Root.CreateChild("foreign");

        Assert.Throws<ArgumentException>(() => kit.Cache.Set(1, "v", foreign));
        Assert.Throws<ArgumentException>(() => kit.Cache.GetOrAdd(1, _ => "v", foreign));
        Assert.Throws<ArgumentException>(() => kit.Cache.GetOrAdd(1, (_, a) => a, "v", foreign));
        Assert.Throws<ArgumentNullException>(() => kit.Cache.Set(1, "v", null!));
        Assert.Equal(0, kit.Cache.Count);
    }

    [Fact]
    public void Operations_NullKey_ThrowArgumentNullExceptionBeforeCallingFactoryOrWeigher()
    {
        bool called = false;
        using var cache = new CacheTestKit<string, string>(o => o.Weigher = (_, _) => { called = true; return 1; }).Cache;

        Assert.Throws<ArgumentNullException>(() => cache.TryGetValue(null!, out _));
        Assert.Throws<ArgumentNullException>(() => cache.GetOrAdd(null!, _ => { called = true; return "v"; }));
        Assert.Throws<ArgumentNullException>(() => cache.Set(null!, "v"));
        Assert.Throws<ArgumentNullException>(() => cache.TryRemove(null!));
        Assert.Throws<ArgumentNullException>(() => cache.GetOrAdd("k", null!));

        Assert.False(called);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Weigher_ReturnsNegative_ThrowsAndCachesNothing()
    {
        using var kit = Kit(o => o.Weigher = (_, _) => -1);

        var ex = Assert.Throws<InvalidOperationException>(() => kit.Cache.Set(1, "v"));

        Assert.Contains("weigher", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, kit.Cache.Count);
        Assert.Equal(0, kit.Group.Usage);
    }

    [Fact]
    public void OnEvicted_EveryPath_ReportsItsReason()
    {
        var kit = Kit();
        kit.Cache.Set(1, "removed");
        kit.Cache.Set(2, "replaced");
        kit.Cache.Set(2, "reclaimed");
        kit.Cache.TryRemove(1);
        kit.Scan(1, out _); // the coldest entry left is key 2's new value, never read
        kit.Cache.Set(3, "cleared");
        kit.Cache.Clear();
        kit.Cache.Set(4, "disposed");

        kit.Dispose();

        Assert.Equal(
            [
                (2, "replaced", CacheEvictionReason.Replaced),
                (1, "removed", CacheEvictionReason.Removed),
                (2, "reclaimed", CacheEvictionReason.Reclaimed),
                (3, "cleared", CacheEvictionReason.Cleared),
                (4, "disposed", CacheEvictionReason.Disposed),
            ],
            kit.Evictions);
    }

    [Fact]
    public void Set_OnEvictedThrowsForTheReplacedValue_NewValueIsStoredAndListedAndTheExceptionReachesTheCaller()
    {
        using var kit = WeighedKit(o => o.OnEvicted = (_, _, r) => { if (r == CacheEvictionReason.Replaced) { throw new InvalidOperationException("callback"); } });
        kit.Cache.Set(1, "old");

        Assert.Throws<InvalidOperationException>(() => kit.Cache.Set(1, "new"));

        Assert.True(kit.Cache.TryPeek(1, out string? value));
        Assert.Equal("new", value);
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void OnEvicted_CanUseTheCache()
    {
        ShrinkableCache<int, string>? self = null;
        using var kit = Kit(o => o.OnEvicted = (k, v, r) =>
        {
            if (r == CacheEvictionReason.Removed)
            {
                self!.Set(k + 100, v + "-moved");
            }
        });
        self = kit.Cache;
        kit.Cache.Set(1, "one");

        kit.Cache.TryRemove(1);

        Assert.True(kit.Cache.TryGetValue(101, out string? moved));
        Assert.Equal("one-moved", moved);
        kit.AssertConsistent();
    }
}
