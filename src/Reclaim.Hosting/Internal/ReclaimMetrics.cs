using System.Diagnostics.Metrics;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// The hosted reclaimer's instruments, on one <see cref="Meter"/> named <c>Reclaim</c> made through the host's
/// <see cref="IMeterFactory"/> (or owned here when the container has none): readable with
/// <c>dotnet-counters monitor --counters Reclaim</c>.
/// </summary>
/// <remarks>
/// The gauges are read only when a listener collects them; the counters cost an enabled check per run when nobody
/// listens. <see cref="RunCompleted(in ReclaimRun)"/> is called on the reclaimer's thread.
/// </remarks>
internal sealed class ReclaimMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Reclaim";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _freed;

    public ReclaimMetrics(Reclaimer reclaimer, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(reclaimer);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("reclaim.pressure.level", () => (int)reclaimer.Level, "{level}",
            "The memory pressure level: 0 none, 1 moderate (background reclaim runs), 2 critical.");
        _meter.CreateObservableGauge("reclaim.memory.limit", () => reclaimer.Limit.Bytes, "By",
            "The memory limit the reclaimer keeps the process within.");
        _meter.CreateObservableGauge("reclaim.memory.usage", () => reclaimer.ReadUsage().Bytes, "By",
            "Memory in use, by the measure that belongs to the limit (managed heap, cgroup usage or working set).");
        _meter.CreateObservableCounter("reclaim.induced_collections", () => reclaimer.InducedCollectionCount, "{collection}",
            "Gen2 collections the reclaimer induced to see what reclaim freed.");
        _runs = _meter.CreateCounter<long>("reclaim.runs", "{run}", "Background reclaim runs completed.");
        _freed = _meter.CreateCounter<long>("reclaim.freed", "By", "Charged bytes given back by background reclaim runs.");
    }

    /// <summary>Counts a completed background run and the charged bytes it freed, tagged with its trigger.</summary>
    public void RunCompleted(in ReclaimRun run)
    {
        var trigger = new KeyValuePair<string, object?>("reclaim.trigger", run.Trigger);
        _runs.Add(1, trigger);
        if (run.Result.BytesFreed > 0)
        {
            _freed.Add(run.Result.BytesFreed, trigger);
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
