using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Reclaim.Hosting.Internal;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests.Internal;

public sealed class ReclaimMetricsTests
{
    [Fact]
    public async Task RunCompleted_BackgroundRun_IncrementsRunsWithTheTrigger()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = builder.Build();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var runs = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.runs");
        await host.StartAsync(TestContext.Current.CancellationToken);
        Reclaimer reclaimer = host.Reclaimer();

        Task<ReclaimRun> next = reclaimer.NextRunAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        await TestHosts.Within(next, "the background run");

        CollectedMeasurement<long> measurement = Assert.Single(runs.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("manual", measurement.Tags["reclaim.trigger"]);
        Assert.Equal("{run}", runs.Instrument!.Unit);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunCompleted_ChargedBytesFreed_AddsThemToFreed()
    {
        const long Limit = 1_000_000_000_000;
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:MemoryLimitBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddShrinkableCache<int, long>("charged", o => o.Weigher = static (_, bytes) => bytes);
        builder.Services.AddReclaim();
        using IHost host = builder.Build();
        using var freed = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), ReclaimMetrics.MeterName, "reclaim.freed");
        await host.StartAsync(TestContext.Current.CancellationToken);
        var cache = host.Services.GetRequiredService<Caching.ShrinkableCache<int, long>>();
        for (int i = 0; i < 10_000; i++)
        {
            cache.Set(i, Limit / 10_000);
        }

        Task<ReclaimRun> next = host.Reclaimer().NextRunAsync();
        host.Reclaimer().Signal(MemoryPressureLevel.Moderate);
        ReclaimRun run = await TestHosts.Within(next, "the background run");

        Assert.True(run.Result.BytesFreed > 0);
        Assert.Equal(run.Result.BytesFreed, Assert.Single(freed.GetMeasurementSnapshot()).Value);
        Assert.Equal("By", freed.Instrument!.Unit);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Gauges_Collected_ReadTheReclaimer()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = builder.Build();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var level = new MetricCollector<int>(meters, ReclaimMetrics.MeterName, "reclaim.pressure.level");
        using var limit = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.memory.limit");
        using var usage = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.memory.usage");
        using var induced = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.induced_collections");
        await host.StartAsync(TestContext.Current.CancellationToken);
        Reclaimer reclaimer = host.Reclaimer();
        Task<MemoryPressureChange> rose = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        await TestHosts.Within(rose, "the rise to Critical");

        level.RecordObservableInstruments();
        limit.RecordObservableInstruments();
        usage.RecordObservableInstruments();
        induced.RecordObservableInstruments();

        Assert.Equal((int)MemoryPressureLevel.Critical, level.LastMeasurement!.Value);
        Assert.Equal("{level}", level.Instrument!.Unit);
        Assert.Equal(TestHosts.HugeLimit, limit.LastMeasurement!.Value);
        Assert.Equal("By", limit.Instrument!.Unit);
        Assert.True(usage.LastMeasurement!.Value > 0);
        Assert.Equal("By", usage.Instrument!.Unit);
        Assert.Equal(0, induced.LastMeasurement!.Value);
        Assert.Equal("{collection}", induced.Instrument!.Unit);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ShrinkerAndGroupInstruments_Hosted_ReadTheContainersRegistryThroughTheMeterFactory()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("counting");
        builder.Services.AddReclaim();
        using IHost host = builder.Build();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var passes = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.shrinker.passes");
        using var usage = new MetricCollector<long>(meters, ReclaimMetrics.MeterName, "reclaim.group.usage");
        using var durations = new MetricCollector<double>(meters, ReclaimMetrics.MeterName, "reclaim.pass.duration");
        await host.StartAsync(TestContext.Current.CancellationToken);
        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());

        host.Registry().ShrinkSlab(0, null, 0);
        passes.RecordObservableInstruments();
        usage.RecordObservableInstruments();

        CollectedMeasurement<long> counted = Assert.Single(passes.GetMeasurementSnapshot());
        Assert.Equal("counting-0", counted.Tags["reclaim.shrinker"]);
        Assert.Equal(shrinker.GetStatistics().Passes, counted.Value);
        Assert.Equal("/", Assert.Single(usage.GetMeasurementSnapshot()).Tags["reclaim.group"]);
        Assert.Contains(durations.GetMeasurementSnapshot(), m => Equals(m.Tags["reclaim.group"], "/"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Constructor_NoMeterFactory_OwnsAMeterNamedReclaim()
    {
        using var reclaimer = new Reclaimer(new ShrinkerRegistry(), new ReclaimerOptions { MemoryLimitBytes = 4096 });
        using var limit = new MetricCollector<long>(null, ReclaimMetrics.MeterName, "reclaim.memory.limit");
        Meter? meter;
        using (var metrics = new ReclaimMetrics(reclaimer))
        {
            limit.RecordObservableInstruments();
            Assert.Equal(4096, limit.LastMeasurement!.Value);
            meter = limit.Instrument!.Meter;
        }

        // Disposed with the metrics: the collector no longer sees its instruments.
        limit.Clear();
        limit.RecordObservableInstruments();
        Assert.Null(limit.LastMeasurement);
        Assert.Null(meter.Scope);
    }
}
