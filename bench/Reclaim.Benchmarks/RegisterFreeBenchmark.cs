using BenchmarkDotNet.Attributes;
using Reclaim.Benchmarks.Baseline;
using Reclaim.Benchmarks.Workload;

namespace Reclaim.Benchmarks;

/// <summary>
/// One shrinker's whole life, Alloc + Register + Free, with no pass running: the cost a cache pays to come and go
/// (the kernel's mount/umount path). <c>AlreadyRegistered</c> shrinkers stay registered meanwhile, to show whether the
/// cost grows with the registry. Under concurrent passes, see bench/Reclaim.Throughput.
/// </summary>
[MemoryDiagnoser]
public class RegisterFreeBenchmark : IDisposable
{
    private const int Priority = ShrinkerRegistry.DefaultPriority;

    private readonly List<Shrinker> _shrinkers = [];
    private readonly SteadyCache _cache = new(Priority);
    private ShrinkerRegistry _registry = null!;
    private RwLockShrinkerRegistry _baseline = null!;

    [Params(0, 10_000, 100_000)]
    public int AlreadyRegistered { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ShrinkerRegistry();
        _baseline = new RwLockShrinkerRegistry();
        for (int i = 0; i < AlreadyRegistered; i++)
        {
            _shrinkers.Add(SteadyCache.Register(_registry, Priority));
            SteadyCache.Register(_baseline, Priority);
        }
    }

    [Benchmark(Baseline = true)]
    public void RwLock()
    {
        RwLockShrinker shrinker = _baseline.Alloc("churn");
        shrinker.CountObjects = SteadyCache.RwLockCountCallback;
        shrinker.ScanObjects = SteadyCache.RwLockScanCallback;
        shrinker.PrivateData = _cache;
        shrinker.Register();
        shrinker.Free();
    }

    [Benchmark]
    public void Lockless()
    {
        Shrinker shrinker = _registry.Alloc("churn");
        shrinker.CountObjects = SteadyCache.CountCallback;
        shrinker.ScanObjects = SteadyCache.ScanCallback;
        shrinker.PrivateData = _cache;
        shrinker.Register();
        shrinker.Free();
    }

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
