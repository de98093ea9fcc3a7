using System.Diagnostics.Metrics;
using Core = Reclaim.Telemetry.ReclaimMetrics;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// The hosted reclaimer's metrics: the core's instruments (<see cref="Core"/>: shrinkers, groups, histograms and the
/// reclaimer) on one <see cref="Meter"/> named <c>Reclaim</c> made through the host's <see cref="IMeterFactory"/> (or
/// owned here when the container has none): readable with <c>dotnet-counters monitor --counters Reclaim</c>.
/// </summary>
/// <remarks>
/// A singleton the hosted service depends on, so the instruments exist from the host's start; the container disposes
/// it, which stops the histograms and unsubscribes from the reclaimer (the factory's meter is the factory's to dispose).
/// </remarks>
internal sealed class ReclaimMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = Core.MeterName;

    private readonly Core _metrics;

    public ReclaimMetrics(Reclaimer reclaimer, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(reclaimer);
        _metrics = meterFactory is null
            ? Core.Attach(reclaimer.Registry, reclaimer)
            : new Core(meterFactory.Create(MeterName), reclaimer.Registry, reclaimer);
    }

    public void Dispose() => _metrics.Dispose();
}
