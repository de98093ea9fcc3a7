using System.Diagnostics.Metrics;
using Reclaim.Internal;

namespace Reclaim.Telemetry;

/// <summary>
/// Reclaim's instruments on one <see cref="Meter"/> (named <see cref="MeterName"/> by convention): per shrinker objects
/// scanned and freed, passes, errors, last count and deferred work; pass and callback duration histograms; per group
/// usage, high and max; and, given a <see cref="Reclaimer"/>, its pressure level, limit, usage, runs and frees. Readable
/// with <c>dotnet-counters monitor --counters Reclaim</c> or any <see cref="MeterListener"/> (OpenTelemetry included).
/// </summary>
/// <remarks>
/// <para>
/// Cost: the counters and gauges are observable: they read the statistics the core keeps anyway, when a listener
/// collects them, and cost nothing per pass. The two histograms are recorded on the reclaim path, but only while a
/// listener has enabled them (<see cref="Instrument.Enabled"/>): otherwise a pass does not even read the clock. Recording
/// allocates nothing (tags are cached strings). See <c>docs/telemetry.md</c> for every instrument, unit and tag.
/// </para>
/// <para>
/// Hosted, <c>AddReclaim</c> makes one through the host's <see cref="IMeterFactory"/>. Otherwise
/// <see cref="Attach(ShrinkerRegistry, Reclaimer?)"/> makes one with a meter of its own. Disposing it stops the
/// histograms, unsubscribes from the reclaimer and makes the observable instruments report nothing (and disposes the
/// meter if it made it).
/// </para>
/// <para>Thread safety: every member may be called from any thread.</para>
/// </remarks>
public sealed partial class ReclaimMetrics : IDisposable
{
    /// <summary>The meter's name by convention, and that of the meter <see cref="Attach(ShrinkerRegistry, Reclaimer?)"/> makes.</summary>
    public const string MeterName = "Reclaim";

    internal const string ShrinkerTag = "reclaim.shrinker";
    internal const string GroupTag = "reclaim.group";
    internal const string TriggerTag = "reclaim.trigger";
    internal const string ErrorTypeTag = "error.type";

    // Passes take from microseconds (a few cheap shrinkers) to seconds (a priority-0 pass over slow ones).
    private static readonly IReadOnlyList<double> s_durationBuckets =
        [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly ShrinkerRegistry _registry;
    private readonly Histogram<double> _passDuration;
    private readonly Histogram<double> _callbackDuration;
    private int _disposeCalled;
    private volatile bool _disposed;

    /// <summary>
    /// Creates the instruments on <paramref name="meter"/> and starts recording the histograms of
    /// <paramref name="registry"/>'s passes. The meter stays the caller's: disposing these metrics does not dispose it.
    /// </summary>
    /// <param name="meter">The meter to create the instruments on (through <see cref="IMeterFactory"/> when hosted).</param>
    /// <param name="registry">The registry whose shrinkers and groups are measured.</param>
    /// <param name="reclaimer">A reclaimer over <paramref name="registry"/> to measure too, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="meter"/> or <paramref name="registry"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="reclaimer"/> runs another registry.</exception>
    public ReclaimMetrics(Meter meter, ShrinkerRegistry registry, Reclaimer? reclaimer = null)
        : this(meter, registry, reclaimer, ownsMeter: false)
    {
    }

    private ReclaimMetrics(Meter meter, ShrinkerRegistry registry, Reclaimer? reclaimer, bool ownsMeter)
    {
        Validate(meter, registry, reclaimer);
        _meter = meter;
        _ownsMeter = ownsMeter;
        _registry = registry;
        Reclaimer = reclaimer;
        _passDuration = meter.CreateHistogram(
            "reclaim.pass.duration", "s",
            "Duration of one pass (shrink_slab: one node, one group, one priority), whoever ran it.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBuckets });
        _callbackDuration = meter.CreateHistogram(
            "reclaim.callback.duration", "s",
            "Duration of one scan callback call.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBuckets });
        CreateShrinkerInstruments();
        CreateGroupInstruments();
        if (reclaimer is not null)
        {
            CreateReclaimerInstruments(reclaimer);
        }

        registry.AttachMetrics(this);
    }

    /// <summary>The registry measured.</summary>
    public ShrinkerRegistry Registry => _registry;

    /// <summary>The reclaimer measured, or <see langword="null"/>.</summary>
    public Reclaimer? Reclaimer { get; }

    /// <summary>Whether a listener has enabled <c>reclaim.pass.duration</c>: passes are timed only then.</summary>
    internal bool PassDurationEnabled => _passDuration.Enabled;

    /// <summary>Whether a listener has enabled <c>reclaim.callback.duration</c>: scans are timed only then.</summary>
    internal bool CallbackDurationEnabled => _callbackDuration.Enabled;

    /// <summary>
    /// Measures <paramref name="registry"/> (and <paramref name="reclaimer"/>) on a new <see cref="Meter"/> named
    /// <see cref="MeterName"/>, for use without a host; the meter is disposed with the metrics.
    /// </summary>
    /// <param name="registry">The registry whose shrinkers and groups are measured.</param>
    /// <param name="reclaimer">A reclaimer over <paramref name="registry"/> to measure too, or <see langword="null"/>.</param>
    /// <returns>The metrics; dispose them to stop.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="registry"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="reclaimer"/> runs another registry.</exception>
    public static ReclaimMetrics Attach(ShrinkerRegistry registry, Reclaimer? reclaimer = null)
    {
        var meter = new Meter(MeterName);
        try
        {
            return new ReclaimMetrics(meter, registry, reclaimer, ownsMeter: true);
        }
        catch
        {
            meter.Dispose();
            throw;
        }
    }

    /// <summary>Stops measuring: see the remarks on <see cref="ReclaimMetrics"/>. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeCalled, 1) != 0)
        {
            return;
        }

        _disposed = true;
        _registry.DetachMetrics(this);
        DetachReclaimer();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>Records one pass's duration (called by the registry, which checked that a listener is enabled).</summary>
    internal void RecordPass(double seconds, KeyValuePair<string, object?> group)
    {
        if (_passDuration.Enabled)
        {
            _passDuration.Record(seconds, group);
        }
    }

    /// <summary>Records one scan call's duration.</summary>
    internal void RecordCallback(double seconds, KeyValuePair<string, object?> shrinker)
    {
        if (_callbackDuration.Enabled)
        {
            _callbackDuration.Record(seconds, shrinker);
        }
    }

    private static void Validate(Meter meter, ShrinkerRegistry registry, Reclaimer? reclaimer)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(registry);
        if (reclaimer is not null && !ReferenceEquals(reclaimer.Registry, registry))
        {
            Throw.Argument(nameof(reclaimer), "The reclaimer runs another registry than the one given; pass the reclaimer's Registry.");
        }
    }
}
