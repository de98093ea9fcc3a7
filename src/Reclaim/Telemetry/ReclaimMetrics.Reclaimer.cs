using System.Diagnostics.Metrics;

namespace Reclaim.Telemetry;

// The reclaimer's instruments: gauges read at collection, and two counters added to once per background run (on the
// reclaimer's thread, from its RunCompleted event), tagged with the run's trigger.
public sealed partial class ReclaimMetrics
{
    private Counter<long>? _runs;
    private Counter<long>? _freed;
    private EventHandler<ReclaimRun>? _onRunCompleted;

    private void CreateReclaimerInstruments(Reclaimer reclaimer)
    {
        _meter.CreateObservableGauge("reclaim.pressure.level", () => Observe((int)reclaimer.Level), "{level}",
            "The memory pressure level: 0 none, 1 moderate (background reclaim runs), 2 critical.");
        _meter.CreateObservableGauge("reclaim.memory.limit", () => Observe(reclaimer.Limit.Bytes), "By",
            "The memory limit the reclaimer keeps the process within.");
        _meter.CreateObservableGauge("reclaim.memory.usage", () => Observe(_disposed ? 0 : reclaimer.ReadUsage().Bytes), "By",
            "Memory in use, by the measure that belongs to the limit (managed heap, cgroup usage or working set).");
        _meter.CreateObservableCounter("reclaim.induced_collections", () => Observe(reclaimer.InducedCollectionCount), "{collection}",
            "Gen2 collections the reclaimer induced to see what reclaim freed.");
        _runs = _meter.CreateCounter<long>("reclaim.runs", "{run}", "Background reclaim runs completed.");
        _freed = _meter.CreateCounter<long>("reclaim.freed", "By", "Charged bytes given back by background reclaim runs.");
        _onRunCompleted = OnRunCompleted;
        reclaimer.RunCompleted += _onRunCompleted;
    }

    private void DetachReclaimer()
    {
        if (Reclaimer is not null && _onRunCompleted is not null)
        {
            Reclaimer.RunCompleted -= _onRunCompleted;
        }
    }

    private Measurement<T>[] Observe<T>(T value)
        where T : struct => _disposed ? [] : [new Measurement<T>(value)];

    /// <summary>Counts a run and the charged bytes it freed, tagged with its trigger. Allocates nothing.</summary>
    private void OnRunCompleted(object? sender, ReclaimRun run)
    {
        var trigger = new KeyValuePair<string, object?>(TriggerTag, run.Trigger);
        _runs!.Add(1, trigger);
        if (run.Result.BytesFreed > 0)
        {
            _freed!.Add(run.Result.BytesFreed, trigger);
        }
    }
}
