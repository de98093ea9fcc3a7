using System.Diagnostics;
using Reclaim.Benchmarks.Baseline;

namespace Reclaim.Benchmarks.Workload;

/// <summary>
/// A cache in steady state under passes at one priority, for both registries. It holds between half its capacity and
/// its capacity: scan frees objects, and a count that finds it below half refills it (the workload brought them back).
/// Capacity is <c>DefaultBatch &lt;&lt; priority</c>, so every pass at that priority asks it for one batch or two
/// (delta = (freeable &gt;&gt; priority) * 4 / seeks, between 128 and 254): real work on every pass, never a runaway.
/// </summary>
/// <remarks>Not thread-safe: the benchmarks run passes on one thread at a time.</remarks>
public sealed class SteadyCache
{
    private readonly long _capacity;
    private readonly bool _empty;
    private readonly long _spinTicks;
    private long _objects;

    /// <param name="priority">The priority the passes will run at.</param>
    /// <param name="empty">An empty cache: its count always says 0, as most shrinkers' do on a real system.</param>
    /// <param name="scanWork">How long each scan call busy-waits, standing in for the work of dropping objects.</param>
    public SteadyCache(int priority, bool empty = false, TimeSpan scanWork = default)
    {
        _capacity = (long)Shrinker.DefaultBatch << priority;
        _objects = _capacity;
        _empty = empty;
        _spinTicks = (long)(scanWork.TotalSeconds * Stopwatch.Frequency);
    }

    public static ShrinkerCallback CountCallback { get; } =
        static (Shrinker s, ref ShrinkControl _) => ((SteadyCache)s.PrivateData!).Count();

    public static ShrinkerCallback ScanCallback { get; } =
        static (Shrinker s, ref ShrinkControl c) => ((SteadyCache)s.PrivateData!).Scan(c.NrToScan);

    public static RwLockShrinkerCallback RwLockCountCallback { get; } =
        static (RwLockShrinker s, ref ShrinkControl _) => ((SteadyCache)s.PrivateData!).Count();

    public static RwLockShrinkerCallback RwLockScanCallback { get; } =
        static (RwLockShrinker s, ref ShrinkControl c) => ((SteadyCache)s.PrivateData!).Scan(c.NrToScan);

    /// <summary>Allocates, sets up and registers a shrinker over a new cache.</summary>
    public static Shrinker Register(ShrinkerRegistry registry, int priority, bool empty = false, TimeSpan scanWork = default)
    {
        Shrinker shrinker = registry.Alloc("steady");
        shrinker.CountObjects = CountCallback;
        shrinker.ScanObjects = ScanCallback;
        shrinker.PrivateData = new SteadyCache(priority, empty, scanWork);
        shrinker.Register();
        return shrinker;
    }

    /// <summary>The same for the baseline registry.</summary>
    public static RwLockShrinker Register(RwLockShrinkerRegistry registry, int priority, bool empty = false, TimeSpan scanWork = default)
    {
        RwLockShrinker shrinker = registry.Alloc("steady");
        shrinker.CountObjects = RwLockCountCallback;
        shrinker.ScanObjects = RwLockScanCallback;
        shrinker.PrivateData = new SteadyCache(priority, empty, scanWork);
        shrinker.Register();
        return shrinker;
    }

    public long Count()
    {
        if (_empty)
        {
            return 0;
        }

        if (_objects < _capacity / 2)
        {
            _objects = _capacity;
        }

        return _objects;
    }

    public long Scan(long nrToScan)
    {
        long freed = Math.Min(nrToScan, _objects);
        _objects -= freed;
        if (_spinTicks != 0)
        {
            long end = Stopwatch.GetTimestamp() + _spinTicks;
            while (Stopwatch.GetTimestamp() < end)
            {
            }
        }

        return freed;
    }
}
