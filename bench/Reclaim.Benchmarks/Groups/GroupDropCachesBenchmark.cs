using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Reclaim.Groups;

namespace Reclaim.Benchmarks.Groups;

/// <summary>
/// The kernel's scenario (Kirill Tkhai, 2018): 2,000 groups x 2,000 group-aware shrinkers, each group with objects in
/// 3 of them. <c>DropCaches</c> walks set bits only; <c>NaiveAllPairs</c> calls every shrinker for every group once
/// (one round, 4,000,000 calls), as shrink_slab did before the bitmap. Objects are refilled before each invocation.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class GroupDropCachesBenchmark : IDisposable
{
    private const int PerGroup = 3;
    private readonly List<(Shrinker Shrinker, GroupCache Cache)> _shrinkers = [];
    private readonly List<MemoryGroup> _groups = [];
    private ShrinkerRegistry _registry = null!;
    private Shrinker[] _all = [];

    [Params(2_000)]
    public int Groups { get; set; }

    [Params(2_000)]
    public int Shrinkers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        for (int g = 0; g < Groups; g++)
        {
            _groups.Add(_registry.Root.CreateChild($"g{g}"));
        }

        for (int i = 0; i < Shrinkers; i++)
        {
            Shrinker s = GroupCache.Register(_registry, maxGroupId: Groups + 1, refill: 0, out GroupCache cache);
            _shrinkers.Add((s, cache));
        }

        _all = _registry.GetShrinkers();
    }

    [IterationSetup]
    public void Fill()
    {
        var random = new Random(42);
        foreach (MemoryGroup group in _groups)
        {
            for (int k = 0; k < PerGroup; k++)
            {
                var (s, cache) = _shrinkers[random.Next(_shrinkers.Count)];
                cache.Fill(s, group, 1_000);
            }
        }
    }

    [Benchmark(Baseline = true)]
    public long DropCaches() => _registry.DropCaches();

    [Benchmark]
    public long NaiveAllPairs()
    {
        long freed = 0;
        long now = 0;
        foreach (MemoryGroup group in _groups)
        {
            foreach (Shrinker s in _all)
            {
                if (s.TryAcquire())
                {
                    long r = _registry.DoShrinkSlab(s, 0, group, 0, ref now);
                    freed += r > 0 ? r : 0;
                    s.Release();
                }
            }
        }

        return freed;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var (s, _) in _shrinkers)
        {
            s.Free();
        }

        _shrinkers.Clear();
        GC.SuppressFinalize(this);
    }
}
