using System.Buffers.Binary;
using System.Globalization;
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

    /// <summary>Entries reclaim took out of the cache (-1 when the cache does not say: the peers without a shrinker).</summary>
    public abstract long Evicted { get; }

    /// <summary>The cache of <paramref name="options"/>' peer.</summary>
    public static WorkloadCache Create(WorkloadOptions options) => options.Cache switch
    {
        CacheKind.Shrinkable => new Shrinkable(options.Admission ?? new ShrinkableCacheOptions<long, byte[]>().Admission),
        CacheKind.MemoryCacheShrinker => new MemoryWithShrinker(),
        CacheKind.MemoryCache => new Memory(sizeLimit: null),
        CacheKind.MemoryCacheSized => new Memory(options.SizeLimit),
        CacheKind.RuntimeCaching => new RuntimeCaching(),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Cache, "Unknown cache."),
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
    private sealed class Shrinkable(CacheAdmission admission) : WorkloadCache
    {
        private readonly ShrinkableCache<long, byte[]> _cache = new(new ShrinkableCacheOptions<long, byte[]>
        {
            Name = "e2e-workload",
            Weigher = static (_, value) => value.Length + EntryOverhead,
            Admission = admission,
        });

        public override long Entries => _cache.Count;

        public override long Bytes => _cache.GetStatistics().Bytes;

        public override long Evicted => _cache.GetStatistics().EvictedByReclaim;

        public override byte[] Get(long key, Worker worker) =>
            _cache.GetOrAdd(key, static (k, w) => Load(k, w), worker);

        public override void Dispose() => _cache.Dispose();
    }

    /// <summary>A <see cref="MemoryCache"/> without a size limit, made reclaimable by a <see cref="MemoryCacheShrinker"/>.</summary>
    private sealed class MemoryWithShrinker : WorkloadCache
    {
        private readonly MemoryCache _cache = new(new MemoryCacheOptions());
        private readonly MemoryCacheShrinker _shrinker;

        public MemoryWithShrinker() => _shrinker = new MemoryCacheShrinker(_cache);

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

    /// <summary>
    /// A plain <see cref="MemoryCache"/>: without a size limit (it only grows), or with <c>SizeLimit</c> in bytes and
    /// each entry's <c>Size</c> its value length + <see cref="EntryOverhead"/> (the weigher's measure), so the limit
    /// bounds the same bytes <see cref="Shrinkable"/> counts. No shrinker.
    /// </summary>
    private sealed class Memory : WorkloadCache
    {
        private readonly MemoryCache _cache;
        private readonly bool _sized;

        public Memory(long? sizeLimit)
        {
            _sized = sizeLimit.HasValue;
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = sizeLimit });
        }

        public override long Entries => _cache.Count;

        public override long Bytes => -1;

        public override long Evicted => -1;

        public override byte[] Get(long key, Worker worker)
        {
            if (_cache.TryGetValue(key, out byte[]? value) && value is not null)
            {
                return value;
            }

            value = Load(key, worker);
            // CreateEntry + Dispose is what Set does, without allocating a MemoryCacheEntryOptions per entry.
            using (ICacheEntry entry = _cache.CreateEntry(key))
            {
                entry.Value = value;
                if (_sized)
                {
                    entry.Size = value.Length + EntryOverhead;
                }
            }

            return value;
        }

        public override void Dispose() => _cache.Dispose();
    }

    /// <summary>
    /// A <see cref="System.Runtime.Caching.MemoryCache"/> with its defaults (<c>new MemoryCache(name)</c>): its own
    /// memory limits are polled every two minutes. Its keys are strings, so each lookup formats the key (as its
    /// users must). No shrinker.
    /// </summary>
    private sealed class RuntimeCaching : WorkloadCache
    {
        private readonly System.Runtime.Caching.MemoryCache _cache = new("e2e-workload");

        public override long Entries => _cache.GetCount();

        public override long Bytes => -1;

        public override long Evicted => -1;

        public override byte[] Get(long key, Worker worker)
        {
            string name = key.ToString(CultureInfo.InvariantCulture);
            if (_cache.Get(name) is byte[] value)
            {
                return value;
            }

            value = Load(key, worker);
            _cache.Set(name, value, System.Runtime.Caching.ObjectCache.InfiniteAbsoluteExpiration);
            return value;
        }

        public override void Dispose() => _cache.Dispose();
    }
}
