using Reclaim.Benchmarks.Baseline;
using Reclaim.Benchmarks.Workload;

namespace Reclaim.Throughput;

/// <summary>The three operations the harness drives, over one kind of registry.</summary>
internal abstract class Target
{
    /// <summary>The priority of every pass: the default, where reclaim starts.</summary>
    protected const int Priority = ShrinkerRegistry.DefaultPriority;

    public abstract string Name { get; }

    /// <summary>Registers <paramref name="count"/> busy caches whose scans each take <paramref name="scanWork"/>.</summary>
    public abstract void Populate(int count, TimeSpan scanWork);

    /// <summary>One shrinker's whole life: alloc, register, free. Its cache is shared, so this allocates only what the registry does.</summary>
    public abstract void RegisterFree();

    /// <summary>One root pass over every registered shrinker.</summary>
    public abstract long Pass();

    /// <summary>Frees what <see cref="Populate"/> registered.</summary>
    public abstract void Clear();
}

internal sealed class LocklessTarget : Target
{
    private readonly ShrinkerRegistry _registry = new();
    private readonly List<Shrinker> _shrinkers = [];
    private SteadyCache _churnCache = new(Priority);

    public override string Name => nameof(ShrinkerRegistry);

    public override void Populate(int count, TimeSpan scanWork)
    {
        _churnCache = new SteadyCache(Priority, scanWork: scanWork);
        for (int i = 0; i < count; i++)
        {
            _shrinkers.Add(SteadyCache.Register(_registry, Priority, scanWork: scanWork));
        }
    }

    public override void RegisterFree()
    {
        Shrinker shrinker = _registry.Alloc("churn");
        shrinker.CountObjects = SteadyCache.CountCallback;
        shrinker.ScanObjects = SteadyCache.ScanCallback;
        shrinker.PrivateData = _churnCache;
        shrinker.Register();
        shrinker.Free();
    }

    public override long Pass() => _registry.ShrinkSlab(0, null, Priority);

    public override void Clear()
    {
        foreach (Shrinker shrinker in _shrinkers)
        {
            shrinker.Free();
        }

        _shrinkers.Clear();
    }
}

internal sealed class RwLockTarget : Target, IDisposable
{
    private readonly RwLockShrinkerRegistry _registry = new();
    private readonly List<RwLockShrinker> _shrinkers = [];
    private SteadyCache _churnCache = new(Priority);

    public override string Name => nameof(RwLockShrinkerRegistry);

    public override void Populate(int count, TimeSpan scanWork)
    {
        _churnCache = new SteadyCache(Priority, scanWork: scanWork);
        for (int i = 0; i < count; i++)
        {
            _shrinkers.Add(SteadyCache.Register(_registry, Priority, scanWork: scanWork));
        }
    }

    public override void RegisterFree()
    {
        RwLockShrinker shrinker = _registry.Alloc("churn");
        shrinker.CountObjects = SteadyCache.RwLockCountCallback;
        shrinker.ScanObjects = SteadyCache.RwLockScanCallback;
        shrinker.PrivateData = _churnCache;
        shrinker.Register();
        shrinker.Free();
    }

    public override long Pass() => _registry.ShrinkSlab(0, Priority);

    public override void Clear()
    {
        foreach (RwLockShrinker shrinker in _shrinkers)
        {
            shrinker.Free();
        }

        _shrinkers.Clear();
    }

    public void Dispose() => _registry.Dispose();
}
