using System.Diagnostics.Metrics;
using Reclaim.Groups;

namespace Reclaim.Telemetry;

// Per online memory group, tagged reclaim.group = path. A limit that is not set (Unlimited) is not reported.
public sealed partial class ReclaimMetrics
{
    private void CreateGroupInstruments()
    {
        _meter.CreateObservableGauge("reclaim.group.usage", () => PerGroup(static g => g.Usage), "By",
            "Bytes charged to the group and its descendants.");
        _meter.CreateObservableGauge("reclaim.group.high", () => PerGroup(static g => g.High), "By",
            "The group's soft limit: charges above it reclaim the group first (groups without one are left out).");
        _meter.CreateObservableGauge("reclaim.group.max", () => PerGroup(static g => g.Max), "By",
            "The group's hard limit: charges above it are refused (groups without one are left out).");
    }

    private List<Measurement<long>> PerGroup(Func<MemoryGroup, long> read)
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        MemoryGroup root = _registry.Root;
        foreach (MemoryGroup group in root.WalkSubtree())
        {
            long value = read(group);
            if (group.IsOnline && value != MemoryGroup.Unlimited)
            {
                measurements.Add(new Measurement<long>(value, new KeyValuePair<string, object?>(GroupTag, group.Path)));
            }
        }

        return measurements;
    }
}
