using System.Diagnostics.Metrics;

namespace Reclaim.Telemetry;

// Per shrinker, tagged reclaim.shrinker = name-id: observable instruments over the counters the core keeps anyway,
// read when a listener collects (allocating then, never per pass).
public sealed partial class ReclaimMetrics
{
    private void CreateShrinkerInstruments()
    {
        _meter.CreateObservableCounter("reclaim.shrinker.scanned", () => PerShrinker(static s => s.ScannedCount), "{object}",
            "Objects the shrinker's scans looked at (NrScanned summed).");
        _meter.CreateObservableCounter("reclaim.shrinker.freed", () => PerShrinker(static s => s.FreedCount), "{object}",
            "Objects the shrinker's scans reported freeing.");
        _meter.CreateObservableCounter("reclaim.shrinker.passes", () => PerShrinker(static s => s.PassCount), "{pass}",
            "Times a pass ran the shrinker.");
        _meter.CreateObservableCounter("reclaim.shrinker.errors", ShrinkerErrors, "{error}",
            "Callback calls that threw (error.type exception) or answered outside the contract (error.type contract_violation).");
        _meter.CreateObservableGauge("reclaim.shrinker.objects", () => PerShrinker(static s => s.LastCount), "{object}",
            "What the shrinker's count answered at its last visit.");
        _meter.CreateObservableGauge("reclaim.shrinker.deferred", () => PerShrinker(static s => s.TotalDeferred()), "{object}",
            "Deferred work carried forward, summed over nodes and groups.");
    }

    private Measurement<long>[] PerShrinker(Func<Shrinker, long> read)
    {
        if (_disposed)
        {
            return [];
        }

        Shrinker[] shrinkers = _registry.GetShrinkers();
        var measurements = new Measurement<long>[shrinkers.Length];
        for (int i = 0; i < shrinkers.Length; i++)
        {
            Shrinker s = shrinkers[i];
            measurements[i] = new Measurement<long>(read(s), new KeyValuePair<string, object?>(ShrinkerTag, s.DebugName));
        }

        return measurements;
    }

    private Measurement<long>[] ShrinkerErrors()
    {
        if (_disposed)
        {
            return [];
        }

        Shrinker[] shrinkers = _registry.GetShrinkers();
        var measurements = new Measurement<long>[shrinkers.Length * 2];
        for (int i = 0; i < shrinkers.Length; i++)
        {
            Shrinker s = shrinkers[i];
            var shrinker = new KeyValuePair<string, object?>(ShrinkerTag, s.DebugName);
            measurements[2 * i] = new Measurement<long>(
                s.ErrorCount, shrinker, new KeyValuePair<string, object?>(ErrorTypeTag, "exception"));
            measurements[(2 * i) + 1] = new Measurement<long>(
                s.ViolationCount, shrinker, new KeyValuePair<string, object?>(ErrorTypeTag, "contract_violation"));
        }

        return measurements;
    }
}
