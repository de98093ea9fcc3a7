using BenchmarkDotNet.Attributes;
using Reclaim.Benchmarks.Baseline;
using Reclaim.Benchmarks.Workload;

namespace Reclaim.Benchmarks;

/// <summary>What the registered caches hold when the pass runs.</summary>
public enum PassWorkload
{
    /// <summary>Every cache has objects: each shrinker is counted and scanned for one or two batches.</summary>
    AllBusy,

    /// <summary>One cache in 16 has objects; the others' counts say 0 (most shrinkers of a real system are idle).</summary>
    MostlyEmpty,
}

/// <summary>
/// One root pass (<c>shrink_slab</c> at the default priority) over 1 to 100,000 registered shrinkers, single-threaded.
/// The "Per shrinker" column is the cost of one shrinker visited; Allocated must be 0 (the reclaim path allocates nothing).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PerShrinkerConfig))]
public class RootPassBenchmark : IDisposable
{
    private const int Priority = ShrinkerRegistry.DefaultPriority;

    private readonly List<Shrinker> _shrinkers = [];
    private ShrinkerRegistry _registry = null!;
    private RwLockShrinkerRegistry _baseline = null!;

    [Params(1, 1_000, 100_000)]
    public int ShrinkerCount { get; set; }

    [Params(PassWorkload.AllBusy, PassWorkload.MostlyEmpty)]
    public PassWorkload Workload { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ShrinkerRegistry();
        _baseline = new RwLockShrinkerRegistry();
        for (int i = 0; i < ShrinkerCount; i++)
        {
            bool empty = Workload == PassWorkload.MostlyEmpty && i % 16 != 0;
            _shrinkers.Add(SteadyCache.Register(_registry, Priority, empty));
            SteadyCache.Register(_baseline, Priority, empty);
        }
    }

    [Benchmark(Baseline = true)]
    public long RwLock() => _baseline.ShrinkSlab(0, Priority);

    [Benchmark]
    public long Lockless() => _registry.ShrinkSlab(0, null, Priority);

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (Shrinker shrinker in _shrinkers)
        {
            shrinker.Free();
        }

        _shrinkers.Clear();
        _baseline?.Dispose();
        GC.SuppressFinalize(this);
    }
}
