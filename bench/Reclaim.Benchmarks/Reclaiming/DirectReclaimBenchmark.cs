using BenchmarkDotNet.Attributes;
using Reclaim.Groups;

namespace Reclaim.Benchmarks.Reclaiming;

/// <summary>
/// <c>Reclaimer.Reclaim(bytes)</c>, direct reclaim on the caller's thread, over <see cref="Shrinkers"/> charged pools
/// spread over 10 groups: each call frees 1 MiB (16 objects of 64 KiB) and the pools are refilled (charged again)
/// outside the measured region's shrinkers, so every call does the same work. Allocated must be 0 B. Baseline: the
/// same work as a plain <c>ShrinkSlab</c> at priority 0 over the root group (no goal, no group walk).
/// </summary>
[MemoryDiagnoser]
public class DirectReclaimBenchmark : IDisposable
{
    private const long ObjectBytes = 64 * 1024;
    private ShrinkerRegistry _registry = null!;
    private Reclaimer _reclaimer = null!;
    private Pool[] _pools = [];

    [Params(10, 1_000)]
    public int Shrinkers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        _reclaimer = new Reclaimer(_registry, new ReclaimerOptions
        {
            MemoryLimitBytes = 1L << 40,
            UseGen2CollectionSignal = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
        });
        var groups = new MemoryGroup[10];
        for (int g = 0; g < groups.Length; g++)
        {
            groups[g] = _registry.Root.CreateChild($"g{g}");
        }

        _pools = new Pool[Shrinkers];
        for (int i = 0; i < Shrinkers; i++)
        {
            _pools[i] = new Pool(_registry, $"pool{i}", groups[i % groups.Length]);
        }
    }

    [Benchmark]
    public ReclaimResult Reclaim()
    {
        ReclaimResult result = _reclaimer.Reclaim(1 << 20);
        Refill();
        return result;
    }

    [Benchmark(Baseline = true)]
    public long ShrinkSlabPriorityZero()
    {
        long freed = _registry.ShrinkSlab(0, null, 0);
        Refill();
        return freed;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _reclaimer.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Refill()
    {
        foreach (Pool pool in _pools)
        {
            pool.Refill();
        }
    }

    /// <summary>1,000 charged objects; scans free (and uncharge) what they are asked for.</summary>
    private sealed class Pool
    {
        private const long Full = 1_000;
        private readonly MemoryGroup _group;
        private long _objects;

        public Pool(ShrinkerRegistry registry, string name, MemoryGroup group)
        {
            _group = group;
            Shrinker s = registry.Alloc(name);
            s.PrivateData = this;
            s.CountObjects = static (Shrinker self, ref ShrinkControl _) => ((Pool)self.PrivateData!)._objects;
            s.ScanObjects = static (Shrinker self, ref ShrinkControl sc) => ((Pool)self.PrivateData!).Free(sc.NrToScan);
            s.Register();
            Refill();
        }

        public void Refill()
        {
            long missing = Full - _objects;
            if (missing > 0)
            {
                _group.TryCharge(missing * ObjectBytes);
                _objects = Full;
            }
        }

        private long Free(long nr)
        {
            long freed = Math.Min(nr, _objects);
            _objects -= freed;
            _group.Uncharge(freed * ObjectBytes);
            return freed;
        }
    }
}
