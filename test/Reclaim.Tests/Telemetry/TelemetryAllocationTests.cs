using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Reclaim.Telemetry;

namespace Reclaim.Tests.Telemetry;

/// <summary>
/// The reclaim path stays allocation-free with telemetry attached: metrics attached but not listened to, the event
/// source on but filtered below the per-shrinker events, and the histograms recording into a listener. Measured with the
/// thread's allocation counter, exact for the calling thread.
/// </summary>
[Collection(RunsAlone.Name)]
public class TelemetryAllocationTests
{
    private sealed class Pool
    {
        public long Objects = 1_000_000;
    }

    /// <summary>Fifty shrinkers that refill almost all they free, so every pass scans in many batches.</summary>
    private static ShrinkerRegistry Registry()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        for (int i = 0; i < 50; i++)
        {
            Shrinker s = registry.Alloc($"alloc{i}", i % 2 == 0 ? ShrinkerFlags.None : ShrinkerFlags.NodeAware);
            s.Seeks = i % 4;
            s.PrivateData = new Pool();
            s.CountObjects = static (Shrinker self, ref ShrinkControl _) => ((Pool)self.PrivateData!).Objects;
            s.ScanObjects = static (Shrinker self, ref ShrinkControl sc) =>
            {
                var pool = (Pool)self.PrivateData!;
                long freed = Math.Min(sc.NrToScan, pool.Objects);
                pool.Objects -= freed - 1;
                return freed;
            };
            s.Register();
        }

        return registry;
    }

    /// <summary>A pass per priority and node after a warm-up pass; the bytes this thread allocated meanwhile.</summary>
    private static long AllocatedByPasses(ShrinkerRegistry registry)
    {
        registry.ShrinkSlab(0, null, 0);
        registry.ShrinkSlab(1, null, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int priority = 0; priority <= ShrinkerRegistry.DefaultPriority; priority++)
        {
            registry.ShrinkSlab(priority % 2, null, priority);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void ShrinkSlab_MetricsAttachedNobodyListening_AllocatesNothing()
    {
        ShrinkerRegistry registry = Registry();
        using var meter = new Meter(ReclaimMetrics.MeterName);
        using var metrics = new ReclaimMetrics(meter, registry);

        Assert.Equal(0, AllocatedByPasses(registry));
    }

    [Fact]
    public void ShrinkSlab_EventSourceOnButShrinkEventsFiltered_AllocatesNothing()
    {
        ShrinkerRegistry registry = Registry();
        using var meter = new Meter(ReclaimMetrics.MeterName);
        using var metrics = new ReclaimMetrics(meter, registry);
        using var events = new ReclaimEventCollector(EventLevel.Informational); // every keyword, but not Verbose

        Assert.Equal(0, AllocatedByPasses(registry));
        Assert.True(ReclaimEventSource.Log.IsEnabled());
        Assert.Empty(events.All);
    }

    [Fact]
    public void ShrinkSlab_HistogramsListenedTo_RecordsAndAllocatesNothing()
    {
        ShrinkerRegistry registry = Registry();
        using var meter = new Meter(ReclaimMetrics.MeterName);
        using var metrics = new ReclaimMetrics(meter, registry);
        long recorded = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument is Histogram<double>)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        int tagCount = 0;
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            tagCount += tags.Length;
            recorded++;
        });
        listener.Start();

        long allocated = AllocatedByPasses(registry);

        Assert.Equal(0, allocated);
        Assert.Equal(recorded, tagCount); // one tag each: the shrinker or the group
        Assert.True(recorded > 13 * 50, $"the histograms recorded {recorded} times");
    }

    [Fact]
    public void ShrinkSlab_ShrinkEventsOn_WritesTwoEventsPerVisitWithTheListenersAllocationsOnly()
    {
        // With the per-shrinker events on, an in-process EventListener allocates per event (the EventWrittenEventArgs and
        // the boxed payload it hands the listener); an out-of-process session (EventPipe, ETW) copies the descriptors
        // and does not. This test pins the event count and that it stays bounded per event.
        ShrinkerRegistry registry = Registry();
        using var events = new ReclaimEventCollector(EventLevel.Verbose, ReclaimEventSource.Keywords.Shrink);
        registry.ShrinkSlab(0, null, 0);
        int before = events.All.Count;

        long allocated = AllocatedByPasses(registry);

        int written = events.All.Count - before;
        Assert.Equal(2 * 50 * (ShrinkerRegistry.DefaultPriority + 3), written);
        Assert.InRange(allocated / written, 1, 2_000);
    }
}
