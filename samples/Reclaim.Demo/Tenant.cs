using Reclaim.Caching;
using Reclaim.Groups;

namespace Reclaim.Demo;

/// <summary>
/// One tenant of the cache service: a <see cref="MemoryGroup"/> of its own under the registry's root, and a
/// <see cref="ShrinkableCache{TKey, TValue}"/> that charges every entry's bytes to it. No size is configured anywhere:
/// the process's reclaimer decides how much each tenant keeps, in proportion to what it holds, and a tenant with a
/// budget (<see cref="MemoryGroup.High"/>) is reclaimed on its own charges first when it goes over.
/// </summary>
internal sealed class Tenant : IDisposable
{
    /// <summary>Bytes charged per entry beyond its value: the dictionary slot, the entry and its list links, roughly.</summary>
    public const int EntryOverhead = 64;

    public Tenant(ShrinkerRegistry registry, string name, double trafficShare, long? highBytes)
    {
        Name = name;
        TrafficShare = trafficShare;
        Group = registry.Root.CreateChild(name);
        if (highBytes is { } high)
        {
            Group.High = high;
        }

        Cache = new ShrinkableCache<long, byte[]>(new ShrinkableCacheOptions<long, byte[]>
        {
            Name = name,
            Registry = registry,
            Group = Group,
            Weigher = static (_, value) => value.Length + EntryOverhead,
        });
    }

    public string Name { get; }

    /// <summary>The share of the requests this tenant receives.</summary>
    public double TrafficShare { get; }

    /// <summary>The tenant's memory group: its cache's bytes are charged here (and to the root above it).</summary>
    public MemoryGroup Group { get; }

    public ShrinkableCache<long, byte[]> Cache { get; }

    public TenantInfo Describe() => new(Name, TrafficShare);

    public CacheReading Read()
    {
        ShrinkableCacheStatistics s = Cache.GetStatistics();
        long high = Group.High;
        return new CacheReading(Name, s.Entries, s.Bytes, s.Hits, s.Misses, s.EvictedByReclaim, s.Rejected, high == MemoryGroup.Unlimited ? null : high);
    }

    public void Dispose()
    {
        Cache.Dispose();
        Group.Offline();
    }
}
