using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching;
using Reclaim.Groups;

namespace Reclaim.Benchmarks.Caching;

/// <summary>
/// Reclaiming 10% of a 1,000,000-entry cache, one invocation per iteration (the cache is refilled to 1,000,000 before
/// each): <c>ShrinkableCache</c> through one real reclaim pass over its group against <c>MemoryCache.Compact(0.1)</c>.
/// Mean is the whole reclaim; divide by 100,000 for the cost per entry freed. Allocated is per reclaim.
/// </summary>
/// <remarks>
/// <para>
/// The pass is <c>registry.ShrinkSlab(0, cache.Group, 3)</c>: a group pass, as reclaim for a group's <c>High</c> or
/// <c>Max</c> runs it, over a cache in its own group with <c>Seeks</c> 5, so the kernel's arithmetic asks for exactly
/// 10%: 4 x (1,000,000 &gt;&gt; 3) / 5 = 100,000 entries, which the pass scans in batches of 128 (781 scan calls,
/// 99,968 entries; the last 32 are deferred to the next pass, as the kernel does). Each scan call walks the cold end of
/// the cache's list under its lock and frees the entries after releasing it. No entry was read since it was added, so
/// none gets a second chance and the entries freed are the oldest; the refill re-adds exactly those.
/// </para>
/// <para>
/// <c>MemoryCacheShrinkerPass</c> runs the same pass (priority 3, <c>Seeks</c> 5) over a <c>MemoryCacheShrinker</c>: one
/// scan call that compacts the pass's whole share (<c>ShrinkControl.TotalScan</c>, 100,000 entries) in one <c>Compact</c>.
/// <c>MemoryCache</c> (all entries of Normal priority) refills the keys removed, found through its <c>Keys</c> (which
/// does not touch the entries). A full GC runs after each refill, before the measurement.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ReclaimTenPercentConfig))]
public class ReclaimTenPercentBenchmark : IDisposable
{
    private const int Entries = 1_000_000;
    private const int Priority = 3;
    private const int Seeks = 5;

    private MemoryCache? _memoryCache;
    private MemoryCacheShrinker? _memoryCacheShrinker;
    private ShrinkerRegistry? _memoryCacheRegistry;
    private ShrinkableCache<int, object>? _shrinkableCache;
    private MemoryGroup? _group;

    // ShrinkableCache: keys in listing order, as a ring from _coldest; a pass frees the first _freed of them.
    private int[] _order = [];
    private int _coldest;
    private long _freed;
    private long _freedMin = long.MaxValue;
    private long _freedMax;

    [GlobalSetup(Target = nameof(MemoryCacheCompact))]
    public void SetupMemoryCache()
    {
        _memoryCache = new MemoryCache(new MemoryCacheOptions());
        for (int key = 0; key < Entries; key++)
        {
            _memoryCache.Set(key, new object());
        }
    }

    [GlobalSetup(Target = nameof(MemoryCacheShrinkerPass))]
    public void SetupMemoryCacheShrinker()
    {
        SetupMemoryCache();
        _memoryCacheRegistry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        _memoryCacheShrinker = new MemoryCacheShrinker(_memoryCache!, new MemoryCacheShrinkerOptions
        {
            Registry = _memoryCacheRegistry,
            Seeks = Seeks,
        });
    }

    [GlobalSetup(Target = nameof(ShrinkableCache))]
    public void SetupShrinkableCache() => SetupShrinkable(weigher: null);

    [GlobalSetup(Target = nameof(ShrinkableCacheWeighed))]
    public void SetupShrinkableCacheWeighed() => SetupShrinkable(weigher: static (_, _) => 64);

    [IterationSetup(Targets = [nameof(MemoryCacheCompact), nameof(MemoryCacheShrinkerPass)])]
    public void RefillMemoryCache()
    {
        MemoryCache cache = _memoryCache!;
        var present = new bool[Entries];
        foreach (object key in cache.Keys)
        {
            present[(int)key] = true;
        }

        for (int key = 0; key < Entries; key++)
        {
            if (!present[key])
            {
                cache.Set(key, new object());
            }
        }

        Check(cache.Count);
    }

    [IterationSetup(Targets = [nameof(ShrinkableCache), nameof(ShrinkableCacheWeighed)])]
    public void RefillShrinkableCache()
    {
        // The freed keys were the coldest, in listing order; re-added in that order they become the hottest.
        ShrinkableCache<int, object> cache = _shrinkableCache!;
        for (long i = 0; i < _freed; i++)
        {
            cache.Set(_order[(int)((_coldest + i) % Entries)], new object());
        }

        _coldest = (int)((_coldest + _freed) % Entries);
        _freed = 0;
        Check(cache.Count);
    }

    [Benchmark(Baseline = true)]
    public void MemoryCacheCompact() => _memoryCache!.Compact(0.1);

    /// <summary>The same pass over a <c>MemoryCacheShrinker</c>: one scan call, one <c>Compact</c> of the pass's whole share.</summary>
    [Benchmark]
    public long MemoryCacheShrinkerPass() => _memoryCacheRegistry!.ShrinkSlab(0, null, Priority);

    [Benchmark]
    public long ShrinkableCache() => ShrinkablePass();

    [Benchmark]
    public long ShrinkableCacheWeighed() => ShrinkablePass();

    [GlobalCleanup]
    public void Dispose()
    {
        if (_shrinkableCache is not null)
        {
            Console.WriteLine($"// ReclaimTenPercentBenchmark: a pass freed {_freedMin:N0} to {_freedMax:N0} entries; group usage {_group!.Usage:N0} bytes");
        }

        _memoryCacheShrinker?.Dispose();
        _memoryCache?.Dispose();
        _shrinkableCache?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void Check(int count)
    {
        if (count != Entries)
        {
            throw new InvalidOperationException($"The refill left {count:N0} entries, not {Entries:N0}.");
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private long ShrinkablePass()
    {
        long freed = _group!.Registry.ShrinkSlab(0, _group, Priority);
        _freed += freed;
        _freedMin = Math.Min(_freedMin, freed);
        _freedMax = Math.Max(_freedMax, freed);
        return freed;
    }

    private void SetupShrinkable(Func<int, object, long>? weigher)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        _group = registry.Root.CreateChild("cache");
        _shrinkableCache = new ShrinkableCache<int, object>(new ShrinkableCacheOptions<int, object>
        {
            Registry = registry,
            Group = _group,
            Seeks = Seeks,
            Weigher = weigher,
        });
        _order = new int[Entries];
        for (int key = 0; key < Entries; key++)
        {
            _order[key] = key;
            _shrinkableCache.Set(key, new object());
        }
    }
}

/// <summary>
/// One invocation per iteration, each after a refill (<c>IterationSetup</c>), timed as single runs (Monitoring), one
/// warm-up and five iterations. A mutator, so it adjusts the job given on the command line (<c>--job short</c>) instead of
/// adding a second job.
/// </summary>
public sealed class ReclaimTenPercentConfig : ManualConfig
{
    public ReclaimTenPercentConfig() => AddJob(Job.Default
        .WithStrategy(RunStrategy.Monitoring)
        .WithInvocationCount(1)
        .WithUnrollFactor(1)
        .WithWarmupCount(1)
        .WithIterationCount(5)
        .AsMutator());
}
