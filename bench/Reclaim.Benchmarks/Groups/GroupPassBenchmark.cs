using BenchmarkDotNet.Attributes;
using Reclaim.Groups;

namespace Reclaim.Benchmarks.Groups;

/// <summary>
/// A group pass (<c>shrink_slab_memcg</c>) when 10 group-aware shrinkers have objects in the group and 10 or 100,000 are
/// registered. The bitmap makes the cost follow the 10: compare Mean across RegisteredCount (the ratio should be close
/// to 1). <c>NaiveWalk</c> calls every registered shrinker for the group, as the kernel did before the bitmap (2018).
/// </summary>
[MemoryDiagnoser]
public class GroupPassBenchmark : IDisposable
{
    private const int Priority = 6;
    private readonly List<Shrinker> _shrinkers = [];
    private ShrinkerRegistry _registry = null!;
    private MemoryGroup _tenant = null!;
    private Shrinker[] _all = [];

    [Params(10, 100_000)]
    public int RegisteredCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        _tenant = _registry.Root.CreateChild("tenant");
        int step = RegisteredCount / 10;
        for (int i = 0; i < RegisteredCount; i++)
        {
            Shrinker s = GroupCache.Register(_registry, maxGroupId: 2, refill: i % step == 0 ? 4_096 : 0, out GroupCache cache);
            if (i % step == 0)
            {
                cache.Fill(s, _tenant, 4_096);
            }

            _shrinkers.Add(s);
        }

        _all = _registry.GetShrinkers();
    }

    [Benchmark(Baseline = true)]
    public long GroupPass() => _registry.ShrinkSlab(0, _tenant, Priority);

    /// <summary>The pre-bitmap all-shrinkers walk for one group, for contrast.</summary>
    [Benchmark]
    public long NaiveWalk()
    {
        long freed = 0;
        long now = 0;
        foreach (Shrinker s in _all)
        {
            if (s.TryAcquire())
            {
                long r = _registry.DoShrinkSlab(s, 0, _tenant, Priority, ref now);
                freed += r > 0 ? r : 0;
                s.Release();
            }
        }

        return freed;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (Shrinker s in _shrinkers)
        {
            s.Free();
        }

        _shrinkers.Clear();
        GC.SuppressFinalize(this);
    }
}
