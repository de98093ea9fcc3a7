using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim;

/// <summary>
/// The reclaim driver, the kernel's kswapd and direct reclaim for a .NET process: it watches how close the process is to
/// its memory limit and, when pressure rises, runs the registry's shrinkers from priority 12 down until usage is back
/// under the target watermark.
/// </summary>
/// <remarks>
/// <para>
/// <b>Readings.</b> The limit is resolved from <see cref="ReclaimerOptions.MemoryLimitBytes"/>, else the smallest of
/// the GC heap hard limit, the memory cgroup's limit and physical memory (<see cref="Limit"/> says which), again every
/// <see cref="ReclaimerOptions.LimitRefreshInterval"/> and on <see cref="RefreshLimit"/>. Usage is read with the
/// measure that belongs to the limit (<see cref="MemoryUsage.Bytes"/>): the managed heap for a heap hard limit or an
/// explicit limit (what the GC counts against the hard limit; garbage since the last collection included), the
/// cgroup's usage minus inactive file pages for a cgroup limit (what the kernel's OOM killer counts), the working set
/// against physical memory. Objects that shrinkers drop become free memory only after a collection, so neither measure
/// shows reclaim's work at once; the charged bytes of the registry's root group do, as holders uncharge what they drop.
/// So the reclaimer measures a run's progress in charged bytes, and until the next collection (of any generation) counts the charged
/// bytes it freed as already gone (a credit taken off the usage reading), which keeps it from reclaiming the same
/// excess twice. What reclaim drops from a cache is mostly old, and a gen0 or gen1 collection does not free it: until
/// the next gen2 collection, background reclaim also takes the charged bytes reclaim freed since the last one off the
/// reading, but only as far as the uncharged part of the reading (reading less charged bytes) has grown since the first
/// reading after that collection, and not at or above the direct watermark. Any other growth, garbage or not, counts
/// in full; the pressure line on charges (below) uses the reading itself, so the collector keeps its room. Once a
/// shrinker's scan has freed objects without uncharging anything (a holder that does not charge, whose growth only the
/// reading shows), the reclaimer decides on the reading whole for good.
/// </para>
/// <para>
/// <b>Background reclaim</b> runs on one dedicated thread, woken by a sampling timer and by the pressure sources
/// (<see cref="ReclaimerOptions"/> turns each on or off; <see cref="Sources"/> says which started and why not). When
/// usage is at or above the start watermark it sets out to free usage minus the target watermark, applying priority
/// 12 down to 1 to the root group first and then to every online group, passing by groups within a budget of their own
/// (a finite <see cref="Groups.MemoryGroup.High"/>) unless that leaves the target unmet, and stops as soon as the target
/// is met. Shrinkers that do not charge what they hold free objects that no charged measure sees; after a run that freed
/// such objects, the reclaimer waits for a gen2 collection (which shows what they were worth) before it reclaims again,
/// unless usage reaches the direct watermark. There, when a run has freed objects and the target is still unmet, it
/// induces one blocking gen2 collection (at most one per <see cref="ReclaimerOptions.InducedCollectionInterval"/>) and
/// re-measures: without it a process holding garbage near its limit would escalate to priority 1 and empty its caches
/// for memory it already gave back.
/// </para>
/// <para>
/// <b>Direct reclaim</b>: <see cref="Reclaim(long, Groups.MemoryGroup?, CancellationToken)"/> on the caller's thread,
/// priority 12 down to 0, as group charges above their High do. It allocates nothing.
/// </para>
/// <para>
/// <b>Levels</b>: <see cref="Level"/> is <see cref="MemoryPressureLevel.None"/>, <see cref="MemoryPressureLevel.Moderate"/>
/// (at or above the start watermark) or <see cref="MemoryPressureLevel.Critical"/> (at or above the direct watermark),
/// with hysteresis: it rises at once and falls only below the lower line and after
/// <see cref="ReclaimerOptions.LevelCooldown"/>. Changes are published through <see cref="PressureChanged"/> and
/// <see cref="Subscribe"/>, on the reclaimer's thread.
/// </para>
/// <para>Thread safety: every public member may be called from any thread.</para>
/// </remarks>
public sealed partial class Reclaimer : IObservable<MemoryPressureLevel>, IDisposable
{
    private readonly IMemoryReader _reader;
    private readonly TimeProvider _time;
    private readonly Watermarks _watermarks;
    private readonly PressureTracker _tracker;
    private readonly long? _explicitLimit;
    private readonly TimeSpan _samplingInterval;
    private readonly TimeSpan _limitRefreshInterval;
    private readonly TimeSpan _inducedCollectionInterval;
    private readonly bool _induceCollections;
    private readonly List<IMemoryPressureSource> _sources;
    private readonly object _lifecycleGate = new();
    private readonly Action<MemoryPressureSignal> _onSignal;

    // The limit, replaced whole (a boxed snapshot, so readers never see bytes of one limit with the source of another).
    private volatile LimitSnapshot _limit;
    private long _limitResolvedAt;

    /// <summary>Creates a reclaimer over <paramref name="registry"/>; <see cref="Start"/> starts background reclaim.</summary>
    /// <param name="registry">The shrinkers to reclaim from.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="ArgumentException">A watermark is out of order or a setting is out of range; the message names it.</exception>
    public Reclaimer(ShrinkerRegistry registry, ReclaimerOptions? options = null)
        : this(registry, options ?? new ReclaimerOptions(), ProcessMemoryReader.Create())
    {
    }

    internal Reclaimer(ShrinkerRegistry registry, ReclaimerOptions options, IMemoryReader reader)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptions(options);
        Registry = registry;
        _reader = reader;
        _time = options.TimeProvider;
        _watermarks = new Watermarks(options.TargetWatermark, options.StartWatermark, options.DirectWatermark).Validate();
        _tracker = new PressureTracker(_watermarks, _time, options.LevelCooldown);
        _explicitLimit = options.MemoryLimitBytes;
        _samplingInterval = options.SamplingInterval;
        _limitRefreshInterval = options.LimitRefreshInterval;
        _inducedCollectionInterval = options.InducedCollectionInterval;
        _induceCollections = options.InduceCollections;
        _onSignal = OnSignal;
        _sources = CreateSources(options);
        _limit = new LimitSnapshot(reader.ResolveLimit(_explicitLimit));
        _limitResolvedAt = _time.GetTimestamp();
        _lastCollectionCount = reader.CollectionCount;
        _lastGen2Count = reader.Gen2CollectionCount;
    }

    /// <summary>The registry whose shrinkers this reclaimer runs.</summary>
    public ShrinkerRegistry Registry { get; }

    /// <summary>The current pressure level (see the remarks on <see cref="Reclaimer"/>).</summary>
    public MemoryPressureLevel Level => _tracker.Level;

    /// <summary>The memory limit in force, and where it came from.</summary>
    public MemoryLimit Limit => _limit.Value;

    /// <summary>The fraction of the limit background reclaim brings usage down to (<see cref="ReclaimerOptions.TargetWatermark"/>).</summary>
    public double TargetWatermark => _watermarks.Target;

    /// <summary>The fraction of the limit above which background reclaim starts (<see cref="ReclaimerOptions.StartWatermark"/>).</summary>
    public double StartWatermark => _watermarks.Start;

    /// <summary>The fraction of the limit above which pressure is critical (<see cref="ReclaimerOptions.DirectWatermark"/>).</summary>
    public double DirectWatermark => _watermarks.Direct;

    /// <summary>Whether background reclaim is running (between <see cref="Start"/> and <see cref="Stop"/>).</summary>
    public bool IsRunning => _thread is not null && !_stopping;

    /// <summary>The pressure sources, after <see cref="Start"/>: which are watching, and why the others are not.</summary>
    public IReadOnlyList<MemoryPressureSourceStatus> Sources => _sourceStatuses;

    /// <summary>Resolves the memory limit again now (after <see cref="GC.RefreshMemoryLimit"/> or a cgroup write).</summary>
    /// <returns>The limit now in force.</returns>
    public MemoryLimit RefreshLimit()
    {
        var limit = new LimitSnapshot(_reader.ResolveLimit(_explicitLimit));
        _limit = limit;
        Volatile.Write(ref _limitResolvedAt, _time.GetTimestamp());
        return limit.Value;
    }

    /// <summary>Reads usage now, by every measure (see the remarks on <see cref="Reclaimer"/> for which one decides).</summary>
    /// <returns>The reading.</returns>
    public MemoryUsage ReadUsage()
    {
        long heap = _reader.ReadManagedHeap();
        long cgroup = _reader.ReadCgroupUsage();
        return new MemoryUsage(DecidingUsage(heap, cgroup), heap, cgroup, Registry.Root.Usage);
    }

    /// <summary>Only the measure that decides (what sampling reads): the cgroup's files are read only for a cgroup limit.</summary>
    internal long ReadDecidingUsage()
    {
        bool cgroupLimit = _limit.Value.Source is MemoryLimitSource.CgroupV1 or MemoryLimitSource.CgroupV2;
        return DecidingUsage(_reader.ReadManagedHeap(), cgroupLimit ? _reader.ReadCgroupUsage() : -1);
    }

    private long DecidingUsage(long heap, long cgroup) => _limit.Value.Source switch
    {
        MemoryLimitSource.CgroupV1 or MemoryLimitSource.CgroupV2 when cgroup >= 0 => cgroup,
        MemoryLimitSource.PhysicalMemory => Math.Max(heap, _reader.ReadWorkingSet()),
        _ => heap,
    };

    private static void ValidateOptions(ReclaimerOptions options)
    {
        const string Options = nameof(ReclaimerOptions);
        if (options.MemoryLimitBytes is <= 0)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.MemoryLimitBytes, $"{Options}.{nameof(options.MemoryLimitBytes)} must be positive, or null to detect the limit.");
        }

        if (options.SamplingInterval < TimeSpan.Zero)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.SamplingInterval, $"{Options}.{nameof(options.SamplingInterval)} must not be negative (zero turns sampling off).");
        }

        if (options.LimitRefreshInterval <= TimeSpan.Zero)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.LimitRefreshInterval, $"{Options}.{nameof(options.LimitRefreshInterval)} must be positive.");
        }

        if (options.LevelCooldown < TimeSpan.Zero || options.InducedCollectionInterval < TimeSpan.Zero)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.LevelCooldown, $"{Options}.{nameof(options.LevelCooldown)} and {nameof(options.InducedCollectionInterval)} must not be negative.");
        }

        ArgumentNullException.ThrowIfNull(options.TimeProvider, $"{nameof(options)}.{nameof(options.TimeProvider)}");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.PressureStallTrigger, $"{nameof(options)}.{nameof(options.PressureStallTrigger)}");
        PsiPressureSource.ValidateTrigger(options.PressureStallTrigger, $"{nameof(options)}.{nameof(options.PressureStallTrigger)}", out _);
        foreach (IMemoryPressureSource source in options.Sources)
        {
            if (source is null)
            {
                Throw.Argument(nameof(options), $"{Options}.{nameof(options.Sources)} must not hold null.");
            }
        }
    }

    private sealed class LimitSnapshot(MemoryLimit value)
    {
        public MemoryLimit Value { get; } = value;
    }
}
