using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

/// <summary>What the cache tests share: a private registry per test, a cache in a child group, an eviction log.</summary>
internal sealed class CacheTestKit<TKey, TValue> : IDisposable
    where TKey : notnull
{
    public CacheTestKit(Action<ShrinkableCacheOptions<TKey, TValue>>? configure = null, string group = "cache")
    {
        Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        Group = Registry.Root.CreateChild(group);
        var options = new ShrinkableCacheOptions<TKey, TValue>
        {
            Registry = Registry,
            Group = Group,
            OnEvicted = (k, v, r) => { lock (Evictions) { Evictions.Add((k, v, r)); } },
        };
        configure?.Invoke(options);
        Cache = new ShrinkableCache<TKey, TValue>(options);
    }

    public ShrinkerRegistry Registry { get; }

    public MemoryGroup Group { get; }

    public ShrinkableCache<TKey, TValue> Cache { get; }

    public List<(TKey Key, TValue Value, CacheEvictionReason Reason)> Evictions { get; } = [];

    public (TKey Key, TValue Value, CacheEvictionReason Reason)[] EvictionsOf(CacheEvictionReason reason)
    {
        lock (Evictions)
        {
            return [.. Evictions.Where(e => e.Reason == reason)];
        }
    }

    /// <summary>Calls the cache's scan directly, as the debug endpoint's <c>scan</c> does.</summary>
    public long Scan(long nrToScan, out long nrScanned, MemoryGroup? group = null)
    {
        var control = new ShrinkControl(0, group ?? Group, nrToScan);
        long freed = Cache.Shrinker.ScanObjects!(Cache.Shrinker, ref control);
        nrScanned = control.NrScanned;
        return freed;
    }

    public long Count(MemoryGroup? group = null)
    {
        var control = new ShrinkControl(0, group ?? Group, 0);
        return Cache.Shrinker.CountObjects!(Cache.Shrinker, ref control);
    }

    /// <summary>Fails the test unless the cache's bookkeeping is consistent (call at rest).</summary>
    public void AssertConsistent()
    {
        Assert.Null(Cache.CheckInvariants());
        Assert.Equal(Cache.Count, Cache.MappedCount);
        Assert.Equal(Cache.Count, Cache.ListedCount);
        Assert.Equal(Cache.SumOfSizes(), Cache.GetStatistics().Bytes);
    }

    public void Dispose() => Cache.Dispose();
}
