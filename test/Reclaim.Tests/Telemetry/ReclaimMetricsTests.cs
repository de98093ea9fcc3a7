using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Reclaim.Groups;
using Reclaim.Pressure;
using Reclaim.Telemetry;
using Reclaim.Tests.Reclaiming;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Telemetry;

/// <summary>
/// Every instrument, read through <see cref="MetricCollector{T}"/> on a meter of the test's own (so tests running at
/// once do not see each other's measurements), with the values the statistics and the reclaimer hold and the tags of
/// the conventions.
/// </summary>
public sealed class ReclaimMetricsTests : IDisposable
{
    private const long ObjectBytes = 64 * 1024;

    private readonly Meter _meter = new(ReclaimMetrics.MeterName);
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// A shrinker of 1,000 objects scanned in batches of 500 whose second scan answers Stop, each scan taking 5 ms of
    /// the fake clock. One pass at priority 1: delta = (1,000 >> 1) * 4 / 2 = 1,000 = total_scan; the first scan frees
    /// 500, the second stops; 1,000 - 500 = 500 deferred.
    /// </summary>
    private Shrinker StoppingShrinker(ShrinkerRegistry registry, string name)
    {
        var scans = new StrongBox<int>(0);
        Shrinker s = registry.Alloc(name);
        s.Batch = 500;
        s.CountObjects = static (Shrinker _, ref ShrinkControl _) => 1_000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(5));
            return ++scans.Value == 1 ? sc.NrToScan : Shrinker.Stop;
        };
        s.Register();
        return s;
    }

    private ShrinkerRegistry NewRegistry() => new(new ShrinkerRegistryOptions { NodeCount = 1, TimeProvider = _time });

    private static KeyValuePair<string, object?> ShrinkerTag(Shrinker s) => new("reclaim.shrinker", s.ToString());

    [Fact]
    public void ShrinkerCounters_AfterAPass_ReadTheStatisticsTaggedByShrinker()
    {
        ShrinkerRegistry registry = NewRegistry();
        Shrinker s = StoppingShrinker(registry, "metered");
        using var scanned = new MetricCollector<long>(_meter, "reclaim.shrinker.scanned");
        using var freed = new MetricCollector<long>(_meter, "reclaim.shrinker.freed");
        using var passes = new MetricCollector<long>(_meter, "reclaim.shrinker.passes");
        using var objects = new MetricCollector<long>(_meter, "reclaim.shrinker.objects");
        using var deferred = new MetricCollector<long>(_meter, "reclaim.shrinker.deferred");
        using var metrics = new ReclaimMetrics(_meter, registry);

        registry.ShrinkSlab(0, null, 1);
        foreach (MetricCollector<long> c in new[] { scanned, freed, passes, objects, deferred })
        {
            c.RecordObservableInstruments();
        }

        Assert.Equal((500L, "{object}"), (Single(scanned, s), scanned.Instrument!.Unit));
        Assert.Equal((500L, "{object}"), (Single(freed, s), freed.Instrument!.Unit));
        Assert.Equal((1L, "{pass}"), (Single(passes, s), passes.Instrument!.Unit));
        Assert.Equal((1_000L, "{object}"), (Single(objects, s), objects.Instrument!.Unit));
        Assert.Equal((500L, "{object}"), (Single(deferred, s), deferred.Instrument!.Unit));
        Assert.IsType<ObservableCounter<long>>(scanned.Instrument);
        Assert.IsType<ObservableGauge<long>>(objects.Instrument);
        Assert.Equal(1_000L, s.GetStatistics().LastCount);
    }

    [Fact]
    public void ShrinkerErrors_ThrowsAndViolations_CountedByErrorType()
    {
        ShrinkerRegistry registry = NewRegistry();
        Shrinker throws = registry.Alloc("throws");
        throws.CountObjects = static (Shrinker _, ref ShrinkControl _) => throw new InvalidOperationException();
        throws.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        throws.Register();
        Shrinker violates = registry.Alloc("violates");
        violates.CountObjects = static (Shrinker _, ref ShrinkControl _) => -3;
        violates.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        violates.Register();
        using var errors = new MetricCollector<long>(_meter, "reclaim.shrinker.errors");
        using var metrics = new ReclaimMetrics(_meter, registry);

        registry.ShrinkSlab(0, null, 0);
        registry.ShrinkSlab(0, null, 0);
        errors.RecordObservableInstruments();

        Assert.Equal("{error}", errors.Instrument!.Unit);
        Assert.Equal(2, Value(errors, ShrinkerTag(throws), new("error.type", "exception")));
        Assert.Equal(0, Value(errors, ShrinkerTag(throws), new("error.type", "contract_violation")));
        Assert.Equal(0, Value(errors, ShrinkerTag(violates), new("error.type", "exception")));
        Assert.Equal(2, Value(errors, ShrinkerTag(violates), new("error.type", "contract_violation")));
    }

    [Fact]
    public void CallbackDuration_Enabled_RecordsEachScanInSecondsTaggedByShrinker()
    {
        ShrinkerRegistry registry = NewRegistry();
        Shrinker s = StoppingShrinker(registry, "timed");
        using var callbacks = new MetricCollector<double>(_meter, "reclaim.callback.duration");
        using var metrics = new ReclaimMetrics(_meter, registry);

        registry.ShrinkSlab(0, null, 1);

        // Two scans (the second answers Stop), 5 ms of the fake clock each.
        IReadOnlyList<CollectedMeasurement<double>> measured = callbacks.GetMeasurementSnapshot();
        Assert.Equal([0.005, 0.005], measured.Select(m => m.Value));
        Assert.All(measured, m => Assert.Equal(s.ToString(), m.Tags["reclaim.shrinker"]));
        Assert.Equal("s", callbacks.Instrument!.Unit);
    }

    [Fact]
    public void PassDuration_Enabled_RecordsEachPassTaggedByGroup()
    {
        ShrinkerRegistry registry = NewRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        StoppingShrinker(registry, "timed-pass");
        using var passes = new MetricCollector<double>(_meter, "reclaim.pass.duration");
        using var metrics = new ReclaimMetrics(_meter, registry);

        registry.ShrinkSlab(0, null, 1);
        registry.ShrinkSlab(0, tenant, 1); // no group-aware shrinker has objects there: a pass of no time

        IReadOnlyList<CollectedMeasurement<double>> measured = passes.GetMeasurementSnapshot();
        Assert.Equal([(0.010, "/"), (0.0, "/tenant")], measured.Select(m => (m.Value, (string)m.Tags["reclaim.group"]!)));
        Assert.Equal("s", passes.Instrument!.Unit);
    }

    [Fact]
    public void Histograms_NoListener_PassIsNotTimed()
    {
        // A timed pass reads the registry's clock around the pass and each scan; a clock that counts its reads shows
        // that nothing is timed while nobody listens.
        var clock = new CountingTimeProvider();
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1, TimeProvider = clock });
        TestShrinkers.Counter(registry, "untimed", 10_000, out _);
        using var metrics = new ReclaimMetrics(_meter, registry);
        long before = clock.Reads;

        registry.ShrinkSlab(0, null, 0);

        // The two coarse reads every pass makes (its start, the visit's end), as without metrics; none for durations.
        Assert.Equal(before + 2, clock.Reads);
    }

    [Fact]
    public void GroupGauges_Collected_ReadUsageAndTheLimitsThatAreSet()
    {
        ShrinkerRegistry registry = NewRegistry();
        MemoryGroup limited = registry.Root.CreateChild("limited");
        MemoryGroup free = registry.Root.CreateChild("free");
        MemoryGroup gone = registry.Root.CreateChild("gone");
        limited.Max = 10_000;
        limited.High = 8_000;
        limited.Charge(3_000);
        free.Charge(1_000);
        gone.Offline();
        using var usage = new MetricCollector<long>(_meter, "reclaim.group.usage");
        using var high = new MetricCollector<long>(_meter, "reclaim.group.high");
        using var max = new MetricCollector<long>(_meter, "reclaim.group.max");
        using var metrics = new ReclaimMetrics(_meter, registry);

        usage.RecordObservableInstruments();
        high.RecordObservableInstruments();
        max.RecordObservableInstruments();

        Assert.Equal([("/", 4_000L), ("/limited", 3_000L), ("/free", 1_000L)], ByGroup(usage));
        Assert.Equal([("/limited", 8_000L)], ByGroup(high));
        Assert.Equal([("/limited", 10_000L)], ByGroup(max));
        Assert.All(new[] { usage, high, max }, c => Assert.Equal("By", c.Instrument!.Unit));
    }

    [Fact]
    public void ReclaimerInstruments_AfterABackgroundRun_ReadTheReclaimer()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 850 * Mb;
        using var level = new MetricCollector<int>(_meter, "reclaim.pressure.level");
        using var limit = new MetricCollector<long>(_meter, "reclaim.memory.limit");
        using var usage = new MetricCollector<long>(_meter, "reclaim.memory.usage");
        using var runs = new MetricCollector<long>(_meter, "reclaim.runs");
        using var freed = new MetricCollector<long>(_meter, "reclaim.freed");
        using var induced = new MetricCollector<long>(_meter, "reclaim.induced_collections");
        using var metrics = new ReclaimMetrics(_meter, rig.Registry, rig.Reclaimer);

        rig.Reclaimer.Step();
        level.RecordObservableInstruments();
        limit.RecordObservableInstruments();
        usage.RecordObservableInstruments();
        induced.RecordObservableInstruments();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.Equal(((int)MemoryPressureLevel.Moderate, "{level}"), (level.LastMeasurement!.Value, level.Instrument!.Unit));
        Assert.Equal((1000 * Mb, "By"), (limit.LastMeasurement!.Value, limit.Instrument!.Unit));
        Assert.Equal((850 * Mb, "By"), (usage.LastMeasurement!.Value, usage.Instrument!.Unit));
        Assert.Equal((0L, "{collection}"), (induced.LastMeasurement!.Value, induced.Instrument!.Unit));
        CollectedMeasurement<long> counted = Assert.Single(runs.GetMeasurementSnapshot());
        Assert.Equal((1L, "sampling", "{run}"), (counted.Value, counted.Tags["reclaim.trigger"], runs.Instrument!.Unit));
        CollectedMeasurement<long> bytes = Assert.Single(freed.GetMeasurementSnapshot());
        Assert.Equal((run.Result.BytesFreed, "sampling", "By"), (bytes.Value, bytes.Tags["reclaim.trigger"], freed.Instrument!.Unit));
        Assert.True(run.Result.BytesFreed > 0);
    }

    [Fact]
    public void Dispose_AfterwardsInstrumentsReportNothing()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        using var passes = new MetricCollector<long>(_meter, "reclaim.shrinker.passes");
        using var usage = new MetricCollector<long>(_meter, "reclaim.group.usage");
        using var runs = new MetricCollector<long>(_meter, "reclaim.runs");
        using var durations = new MetricCollector<double>(_meter, "reclaim.pass.duration");
        var metrics = new ReclaimMetrics(_meter, rig.Registry, rig.Reclaimer);

        metrics.Dispose();
        metrics.Dispose();
        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();
        passes.RecordObservableInstruments();
        usage.RecordObservableInstruments();

        Assert.Equal(1, rig.Reclaimer.RunCount);
        Assert.Empty(passes.GetMeasurementSnapshot());
        Assert.Empty(usage.GetMeasurementSnapshot());
        Assert.Empty(runs.GetMeasurementSnapshot());
        Assert.Empty(durations.GetMeasurementSnapshot());
    }

    [Fact]
    public void Attach_NoMeter_OwnsAMeterNamedReclaimAndDisposesIt()
    {
        ShrinkerRegistry registry = NewRegistry();
        Shrinker s = StoppingShrinker(registry, "attached");
        using var passes = new MetricCollector<long>(null, ReclaimMetrics.MeterName, "reclaim.shrinker.passes");
        Meter meter;
        using (ReclaimMetrics metrics = ReclaimMetrics.Attach(registry))
        {
            registry.ShrinkSlab(0, null, 1);
            passes.RecordObservableInstruments();
            meter = passes.Instrument!.Meter;
            Assert.Equal(1L, Value(passes, ShrinkerTag(s)));
            Assert.Same(registry, metrics.Registry);
            Assert.Null(metrics.Reclaimer);
        }

        passes.Clear();
        passes.RecordObservableInstruments();
        Assert.Empty(passes.GetMeasurementSnapshot());
        Assert.Equal(ReclaimMetrics.MeterName, meter.Name);
    }

    [Fact]
    public void Constructor_ReclaimerOfAnotherRegistry_Throws()
    {
        using var rig = new ReclaimerRig();

        var thrown = Assert.Throws<ArgumentException>(() => new ReclaimMetrics(_meter, NewRegistry(), rig.Reclaimer));

        Assert.Equal("reclaimer", thrown.ParamName);
    }

    private static long Single(MetricCollector<long> collector, Shrinker shrinker) => Value(collector, ShrinkerTag(shrinker));

    /// <summary>The value of the one measurement of the last collection that has all <paramref name="tags"/>.</summary>
    private static long Value(MetricCollector<long> collector, params KeyValuePair<string, object?>[] tags) =>
        Assert.Single(collector.GetMeasurementSnapshot(), m => tags.All(t => m.Tags.TryGetValue(t.Key, out object? v) && Equals(v, t.Value))).Value;

    private static (string, long)[] ByGroup(MetricCollector<long> collector) =>
        [.. collector.GetMeasurementSnapshot().Select(m => ((string)m.Tags["reclaim.group"]!, m.Value))];

    /// <summary>A clock that counts how often it is read.</summary>
    private sealed class CountingTimeProvider : TimeProvider
    {
        private long _reads;

        public long Reads => Interlocked.Read(ref _reads);

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            return 0;
        }
    }
}
