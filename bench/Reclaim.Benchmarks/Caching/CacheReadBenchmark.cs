using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching;

namespace Reclaim.Benchmarks.Caching;

/// <summary>
/// Read-heavy: lookups that all hit a cache pre-filled with 100,000 <c>int</c> keys, one thread, keys from a
/// precomputed sequence (uniform or Zipf). Mean is per lookup (OperationsPerInvoke); Allocated is per lookup.
/// </summary>
/// <remarks>
/// <para>
/// <c>MemoryCache</c> (the baseline: what most code uses) takes <c>object</c> keys, so an <c>int</c> key is boxed on
/// every lookup, as code calling <c>TryGetValue(id, out ...)</c> does; <c>MemoryCacheBoxedKeys</c> looks up with keys
/// boxed once at setup, to show the cache's own cost. <c>ConcurrentLru</c> is BitFaster.Caching's, with capacity equal
/// to the key count (all fit; it counts hits, as <c>ShrinkableCache</c> does). <c>ShrinkableCacheWeighed</c> has a
/// weigher (64 bytes per entry, charged to its group); a lookup does not call it, so it should read as
/// <c>ShrinkableCache</c>.
/// </para>
/// <para>Each case builds only the cache it measures, on a private registry.</para>
/// </remarks>
[MemoryDiagnoser]
public class CacheReadBenchmark : IDisposable
{
    private const int Keys = 100_000;
    private const int Ops = 1 << 16;

    private int[] _keys = [];
    private object[] _boxedKeys = [];
    private MemoryCache? _memoryCache;
    private ConcurrentLru<int, object>? _concurrentLru;
    private ShrinkableCache<int, object>? _shrinkableCache;

    [Params(KeyDistribution.Uniform, KeyDistribution.Zipf)]
    public KeyDistribution Distribution { get; set; }

    [GlobalSetup(Targets = [nameof(MemoryCache), nameof(MemoryCacheBoxedKeys)])]
    public void SetupMemoryCache()
    {
        MakeKeys();
        _memoryCache = new MemoryCache(new MemoryCacheOptions());
        object[] boxed = new object[Keys];
        for (int key = 0; key < Keys; key++)
        {
            boxed[key] = key;
            _memoryCache.Set(boxed[key], new object());
        }

        _boxedKeys = Array.ConvertAll(_keys, key => boxed[key]);
        Verify(key => _memoryCache.TryGetValue(key, out _));
    }

    [GlobalSetup(Target = nameof(ConcurrentLru))]
    public void SetupConcurrentLru()
    {
        MakeKeys();
        _concurrentLru = new ConcurrentLru<int, object>(Keys);
        for (int key = 0; key < Keys; key++)
        {
            _concurrentLru.AddOrUpdate(key, new object());
        }

        Verify(key => _concurrentLru.TryGet(key, out _));
    }

    [GlobalSetup(Target = nameof(ShrinkableCache))]
    public void SetupShrinkableCache() => SetupShrinkable(weigher: null);

    [GlobalSetup(Target = nameof(ShrinkableCacheWeighed))]
    public void SetupShrinkableCacheWeighed() => SetupShrinkable(weigher: static (_, _) => 64);

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public int MemoryCache()
    {
        MemoryCache cache = _memoryCache!;
        int[] keys = _keys;
        int hits = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            hits += cache.TryGetValue(keys[i], out _) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int MemoryCacheBoxedKeys()
    {
        MemoryCache cache = _memoryCache!;
        object[] keys = _boxedKeys;
        int hits = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            hits += cache.TryGetValue(keys[i], out _) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ConcurrentLru()
    {
        ConcurrentLru<int, object> cache = _concurrentLru!;
        int[] keys = _keys;
        int hits = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            hits += cache.TryGet(keys[i], out _) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ShrinkableCache() => ReadShrinkable();

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ShrinkableCacheWeighed() => ReadShrinkable();

    [GlobalCleanup]
    public void Dispose()
    {
        _memoryCache?.Dispose();
        _shrinkableCache?.Dispose();
        GC.SuppressFinalize(this);
    }

    private int ReadShrinkable()
    {
        ShrinkableCache<int, object> cache = _shrinkableCache!;
        int[] keys = _keys;
        int hits = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            hits += cache.TryGetValue(keys[i], out _) ? 1 : 0;
        }

        return hits;
    }

    private void SetupShrinkable(Func<int, object, long>? weigher)
    {
        MakeKeys();
        _shrinkableCache = new ShrinkableCache<int, object>(new ShrinkableCacheOptions<int, object>
        {
            Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 }),
            Weigher = weigher,
        });
        for (int key = 0; key < Keys; key++)
        {
            _shrinkableCache.Set(key, new object());
        }

        Verify(key => _shrinkableCache.TryGetValue(key, out _));
    }

    private void MakeKeys() => _keys = CacheKeys.Make(Distribution, Keys, Ops, seed: 42);

    /// <summary>Every key of the sequence must hit, or the benchmark measures something else.</summary>
    private void Verify(Func<int, bool> hit)
    {
        int misses = _keys.Count(key => !hit(key));
        if (misses != 0)
        {
            throw new InvalidOperationException($"{misses} of {_keys.Length} lookups missed after the fill.");
        }
    }
}
