namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache's disposal: frees the shrinker, empties and uncharges, idempotent, then refuses work.</summary>
public partial class ShrinkableCacheTests
{
    [Fact]
    public void Dispose_RemovesReportsUnchargesAndFreesTheShrinker()
    {
        var kit = WeighedKit();
        Fill(kit.Cache, 10);
        Assert.Equal(1, kit.Registry.RegisteredCount);

        kit.Dispose();

        Assert.Equal(ShrinkerState.Freed, kit.Cache.Shrinker.State);
        Assert.Equal(0, kit.Registry.RegisteredCount);
        Assert.Equal(10, kit.EvictionsOf(CacheEvictionReason.Disposed).Length);
        Assert.Equal((0, 0L, 0L), (kit.Cache.Count, kit.Group.Usage, kit.Cache.ListedCount));
        Assert.Equal(0, kit.Cache.MappedCount);
    }

    [Fact]
    public void Dispose_Twice_DoesNothingMore()
    {
        var kit = Kit();
        Fill(kit.Cache, 3);

        kit.Dispose();
        kit.Dispose();

        Assert.Equal(3, kit.Evictions.Count);
    }

    [Fact]
    public void Operations_AfterDispose_ThrowObjectDisposedButStatisticsStayReadable()
    {
        var kit = Kit();
        kit.Cache.Set(1, "one");
        kit.Cache.TryGetValue(1, out _);
        kit.Dispose();

        Assert.Throws<ObjectDisposedException>(() => kit.Cache.TryGetValue(1, out _));
        Assert.Throws<ObjectDisposedException>(() => kit.Cache.GetOrAdd(1, _ => "v"));
        Assert.Throws<ObjectDisposedException>(() => kit.Cache.GetOrAdd(1, (_, a) => a, "v"));
        Assert.Throws<ObjectDisposedException>(() => kit.Cache.Set(1, "v"));
        Assert.Throws<ObjectDisposedException>(() => kit.Cache.TryRemove(1));
        Assert.Throws<ObjectDisposedException>(kit.Cache.Clear);

        Assert.Equal(0, kit.Cache.Count);
        Assert.Equal(new ShrinkableCacheStatistics(Hits: 1, Misses: 0, Entries: 0, Bytes: 0, EvictedByReclaim: 0, Rejected: 0, NotAdmitted: 0), kit.Cache.GetStatistics());
    }
}
