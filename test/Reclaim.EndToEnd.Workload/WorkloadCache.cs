using System.Buffers.Binary;
using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching;

namespace Reclaim.EndToEnd.Workload;

/// <summary>The cache the workers read through: a lookup that loads on a miss, and what the sample lines report of it.</summary>
internal abstract class WorkloadCache : IDisposable
{
    /// <summary>The bytes charged per entry beyond the value itself (the weigher's overhead).</summary>
    public const int EntryOverhead = 64;

    /// <summary>Entries cached now.</summary>
    public abstract long Entries { get; }

    /// <summary>Bytes the cache accounts for (the weigher's sum; -1 when the cache does not weigh its entries).</summary>
    public abstract long Bytes { get; }

    /// <summary>Entries reclaim took out of the cache.</summary>
    public abstract long Evicted { get; }

    public static WorkloadCache Create(CacheKind kind) => kind switch
    {
        CacheKind.Shrinkable => new Shrinkable(),
        _ => new Memory(),
    };

    /// <summary>The value of <paramref name="key"/>: cached, or loaded (counted in <paramref name="worker"/>'s misses) and cached.</summary>
    public abstract byte[] Get(long key, Worker worker);

    public abstract void Dispose();

    /// <summary>The "load" on a miss: a value of 1 to 16 KiB, filled, with the key in its first 8 bytes.</summary>
    protected static byte[] Load(long key, Worker worker)
    {
        worker.Misses++;
        worker.SimulateLoad();
#pragma warning disable CA5394 // A seeded pseudo-random generator is what a reproducible workload wants.
        var value = new byte[worker.Sampler.Random.Next(1024, (16 * 1024) + 1)];
#pragma warning restore CA5394
        value.AsSpan().Fill((byte)key);
        BinaryPrimitives.WriteInt64LittleEndian(value, key);
        return value;
    }

    /// <summary>A <see cref="ShrinkableCache{TKey, TValue}"/> with a weigher and no size limit.</summary>
    private sealed class Shrinkable : WorkloadCache
    {
        private readonly ShrinkableCache<long, byte[]> _cache = new(new ShrinkableCacheOptions<long, byte[]>
        {
            Name = "e2e-workload",
            Weigher = static (_, value) => value.Length + EntryOverhead,
        });

        public override long Entries => _cache.Count;

        public override long Bytes => _cache.GetStatistics().Bytes;

        public override long Evicted => _cache.GetStatistics().EvictedByReclaim;

        public override byte[] Get(long key, Worker worker) =>
            _cache.GetOrAdd(key, static (k, w) => Load(k, w), worker);

        public override void Dispose() => _cache.Dispose();
    }

    /// <summary>A <see cref="MemoryCache"/> without a size limit, made reclaimable by a <see cref="MemoryCacheShrinker"/>.</summary>
    private sealed class Memory : WorkloadCache
    {
        private readonly MemoryCache _cache = new(new MemoryCacheOptions());
        private readonly MemoryCacheShrinker _shrinker;

        public Memory() => _shrinker = new MemoryCacheShrinker(_cache);

        public override long Entries => _cache.Count;

        public override long Bytes => -1;

        public override long Evicted => _shrinker.Shrinker.GetStatistics().ObjectsFreed;

        public override byte[] Get(long key, Worker worker)
        {
            if (_cache.TryGetValue(key, out byte[]? value) && value is not null)
            {
                return value;
            }

            value = Load(key, worker);
            _cache.Set(key, value);
            return value;
        }

        public override void Dispose()
        {
            _shrinker.Dispose();
            _cache.Dispose();
        }
    }
}
