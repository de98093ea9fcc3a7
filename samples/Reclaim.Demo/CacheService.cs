using System.Buffers.Binary;
using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching;

namespace Reclaim.Demo;

/// <summary>
/// The service the demo runs: a read-through cache per tenant (<see cref="Tenant"/>), a catalog shared by all of them
/// (a plain <see cref="MemoryCache"/> with no size limit, made reclaimable by a <see cref="MemoryCacheShrinker"/>), and
/// a <see cref="ShrinkableArrayPool{T}"/> the request path renders values in. A miss "loads" a value of 1 to 16 KiB
/// that starts with its key, so a hit can be checked.
/// </summary>
/// <remarks>
/// Everything is registered with one registry (the process's <see cref="ShrinkerRegistry.Default"/> in the demo);
/// nothing has a size. The busiest tenant gets a budget, an eighth of the limit, so one noisy tenant cannot take the
/// memory of the others; the rest share what is left as reclaim sees fit.
/// </remarks>
internal sealed class CacheService : IDisposable
{
    public const int MinValueBytes = 1024;
    public const int MaxValueBytes = 16 * 1024;

    /// <summary>The busiest tenant's budget is the limit divided by this.</summary>
    public const int BudgetDivisor = 8;

    private readonly MemoryCacheShrinker _catalogShrinker;

    public CacheService(ShrinkerRegistry registry, int tenants, long limitBytes)
    {
        // Traffic falls off with the tenant's rank (1, 1/2, 1/3, ...): tenant-a is the busiest.
        double[] weights = [.. Enumerable.Range(1, tenants).Select(rank => 1.0 / rank)];
        double total = weights.Sum();
        var list = new List<Tenant>(tenants);
        for (int i = 0; i < tenants; i++)
        {
            long? budget = i == 0 && tenants > 1 ? limitBytes / BudgetDivisor : null;
            list.Add(new Tenant(registry, $"tenant-{(char)('a' + i)}", weights[i] / total, budget));
        }

        Tenants = list;
        Catalog = new MemoryCache(new MemoryCacheOptions { TrackStatistics = true });
        _catalogShrinker = new MemoryCacheShrinker(Catalog, new MemoryCacheShrinkerOptions { Name = "catalog", Registry = registry });
        Buffers = new ShrinkableArrayPool<byte>(new ShrinkableArrayPoolOptions { Name = "request-buffers", Registry = registry });
    }

    public IReadOnlyList<Tenant> Tenants { get; }

    /// <summary>The catalog every tenant reads: a MemoryCache without a SizeLimit.</summary>
    public MemoryCache Catalog { get; }

    /// <summary>Scratch buffers the request path renders values in.</summary>
    public ShrinkableArrayPool<byte> Buffers { get; }

    /// <summary>A tenant's item: from its cache, or loaded and cached (charged to the tenant's group).</summary>
    public byte[] GetItem(Tenant tenant, long key, Random random) =>
        tenant.Cache.GetOrAdd(key, static (k, state) => state.Service.Load(k, state.Random), (Service: this, Random: random));

    /// <summary>A catalog item: from the MemoryCache, or loaded and cached.</summary>
    public byte[] GetCatalogItem(long key, Random random)
    {
        if (Catalog.TryGetValue(key, out byte[]? value) && value is not null)
        {
            return value;
        }

        value = Load(key, random);
        Catalog.Set(key, value);
        return value;
    }

    /// <summary>Whether <paramref name="value"/> is <paramref name="key"/>'s (its first 8 bytes are the key).</summary>
    public static bool IsValueOf(byte[] value, long key) => BinaryPrimitives.ReadInt64LittleEndian(value) == key;

    public CacheReading ReadCatalog()
    {
        MemoryCacheStatistics? s = Catalog.GetCurrentStatistics();
        return new CacheReading("catalog", Catalog.Count, null, s?.TotalHits ?? 0, s?.TotalMisses ?? 0,
            _catalogShrinker.Shrinker.GetStatistics().ObjectsFreed, 0, null);
    }

    public PoolReading ReadPool() =>
        new(Buffers.PooledArrays, Buffers.PooledBytes, Buffers.Shrinker.GetStatistics().ObjectsFreed);

    /// <summary>The shrinkers of this service, for totals.</summary>
    public IEnumerable<Shrinker> Shrinkers() =>
        Tenants.Select(t => t.Cache.Shrinker).Append(_catalogShrinker.Shrinker).Append(Buffers.Shrinker);

    public void Dispose()
    {
        _catalogShrinker.Dispose();
        Catalog.Dispose();
        Buffers.Dispose();
        foreach (Tenant tenant in Tenants)
        {
            tenant.Dispose();
        }
    }

    /// <summary>The "back end" behind a miss: renders 1 to 16 KiB in a pooled buffer and returns a copy that starts with the key.</summary>
    private byte[] Load(long key, Random random)
    {
#pragma warning disable CA5394 // A seeded pseudo-random generator is what a reproducible workload wants.
        int length = random.Next(MinValueBytes, MaxValueBytes + 1);
#pragma warning restore CA5394
        byte[] buffer = Buffers.Rent(length);
        try
        {
            Span<byte> value = buffer.AsSpan(0, length);
            value.Fill((byte)key);
            BinaryPrimitives.WriteInt64LittleEndian(value, key);
            return value.ToArray();
        }
        finally
        {
            Buffers.Return(buffer);
        }
    }
}
