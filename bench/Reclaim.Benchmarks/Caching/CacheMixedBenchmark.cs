using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching;

namespace Reclaim.Benchmarks.Caching;

/// <summary>
/// Mixed: 80% lookups that hit, 20% misses, on a cache holding a steady 100,000 <c>int</c> keys, one thread. The cache
/// holds a sliding window of keys; a miss removes the window's oldest key and <c>GetOrAdd</c>s the next new one (a miss,
/// so the factory runs and the entry is added). Lookups pick a uniform offset into the window, so they always hit.
/// Mean and Allocated are per operation of the sequence (a lookup, or a remove + a missing GetOrAdd).
/// </summary>
/// <remarks>
/// The caches are those of <see cref="CacheReadBenchmark"/>, used the way their users write it: <c>MemoryCache</c>
/// boxes each <c>int</c> key (<c>TryGetValue</c>, <c>GetOrCreate</c>, <c>Remove</c>). Lookups that missed are printed
/// at cleanup (in the log): a cache whose own eviction drops live keys would show them.
/// </remarks>
[MemoryDiagnoser]
public class CacheMixedBenchmark : IDisposable
{
    private const int Keys = 100_000;
    private const int Ops = 1 << 16;
    private const int MissPercent = 20;

    private static readonly Func<int, object> s_factory = static _ => new object();

    private int[] _ops = [];
    private int _lookups;
    private int _oldest;
    private long _lookupMisses;
    private MemoryCache? _memoryCache;
    private ConcurrentLru<int, object>? _concurrentLru;
    private ShrinkableCache<int, object>? _shrinkableCache;

    [GlobalSetup(Target = nameof(MemoryCache))]
    public void SetupMemoryCache()
    {
        MakeOps();
        _memoryCache = new MemoryCache(new MemoryCacheOptions());
        for (int key = 0; key < Keys; key++)
        {
            _memoryCache.Set(key, new object());
        }
    }

    [GlobalSetup(Target = nameof(ConcurrentLru))]
    public void SetupConcurrentLru()
    {
        MakeOps();
        _concurrentLru = new ConcurrentLru<int, object>(Keys);
        for (int key = 0; key < Keys; key++)
        {
            _concurrentLru.AddOrUpdate(key, new object());
        }
    }

    [GlobalSetup(Target = nameof(ShrinkableCache))]
    public void SetupShrinkableCache() => SetupShrinkable(weigher: null);

    [GlobalSetup(Target = nameof(ShrinkableCacheWeighed))]
    public void SetupShrinkableCacheWeighed() => SetupShrinkable(weigher: static (_, _) => 64);

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public int MemoryCache()
    {
        MemoryCache cache = _memoryCache!;
        int[] ops = _ops;
        int hits = 0;
        for (int i = 0; i < ops.Length; i++)
        {
            int op = ops[i];
            if (op >= 0)
            {
                hits += cache.TryGetValue(_oldest + op, out _) ? 1 : 0;
            }
            else
            {
                int oldest = _oldest++;
                cache.Remove(oldest);
                cache.GetOrCreate(oldest + Keys, static _ => new object());
            }
        }

        return Count(hits);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ConcurrentLru()
    {
        ConcurrentLru<int, object> cache = _concurrentLru!;
        int[] ops = _ops;
        int hits = 0;
        for (int i = 0; i < ops.Length; i++)
        {
            int op = ops[i];
            if (op >= 0)
            {
                hits += cache.TryGet(_oldest + op, out _) ? 1 : 0;
            }
            else
            {
                int oldest = _oldest++;
                cache.TryRemove(oldest);
                cache.GetOrAdd(oldest + Keys, s_factory);
            }
        }

        return Count(hits);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ShrinkableCache() => RunShrinkable();

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ShrinkableCacheWeighed() => RunShrinkable();

    [GlobalCleanup]
    public void Dispose()
    {
        Console.WriteLine($"// CacheMixedBenchmark: {_lookupMisses:N0} lookups missed (must be 0 for a cache that keeps what it was given)");
        _memoryCache?.Dispose();
        _shrinkableCache?.Dispose();
        GC.SuppressFinalize(this);
    }

    private int RunShrinkable()
    {
        ShrinkableCache<int, object> cache = _shrinkableCache!;
        int[] ops = _ops;
        int hits = 0;
        for (int i = 0; i < ops.Length; i++)
        {
            int op = ops[i];
            if (op >= 0)
            {
                hits += cache.TryGetValue(_oldest + op, out _) ? 1 : 0;
            }
            else
            {
                int oldest = _oldest++;
                cache.TryRemove(oldest);
                cache.GetOrAdd(oldest + Keys, s_factory);
            }
        }

        return Count(hits);
    }

    private void SetupShrinkable(Func<int, object, long>? weigher)
    {
        MakeOps();
        _shrinkableCache = new ShrinkableCache<int, object>(new ShrinkableCacheOptions<int, object>
        {
            Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 }),
            Weigher = weigher,
        });
        for (int key = 0; key < Keys; key++)
        {
            _shrinkableCache.Set(key, new object());
        }
    }

    /// <summary>The sequence: -1 for a miss, else a lookup's offset into the window. Seeded: every cache gets the same.</summary>
    private void MakeOps()
    {
        var random = new Random(7);
        _ops = new int[Ops];
        for (int i = 0; i < _ops.Length; i++)
        {
            _ops[i] = random.Next(100) < MissPercent ? -1 : random.Next(Keys);
        }

        _lookups = _ops.Count(op => op >= 0);
    }

    private int Count(int hits)
    {
        _lookupMisses += _lookups - hits;
        return hits;
    }
}
