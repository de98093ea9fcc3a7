using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests;

// What the hosted service logs while the host runs: pressure changes, runs, shrinker faults, reclaimer failures.
public sealed partial class ReclaimHostedServiceTests
{
    [Fact]
    public async Task PressureChanged_RiseToCriticalAndFall_LogsWarningThenInformation()
    {
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:LevelCooldown"] = "00:00:00";
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Task<MemoryPressureChange> rose = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        await TestHosts.Within(rose, "the rise to Critical");
        Task<MemoryPressureChange> fell = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.None);
        await TestHosts.Within(fell, "the fall to None");

        List<FakeLogRecord> changes = host.Logs().WithEvent(10);
        Assert.Equal(2, changes.Count);
        Assert.Equal(LogLevel.Warning, changes[0].Level);
        Assert.Equal("None", changes[0].Value("PreviousLevel"));
        Assert.Equal("Critical", changes[0].Value("PressureLevel"));
        Assert.Equal(Text(TestHosts.HugeLimit), changes[0].Value("LimitBytes"));
        Assert.Equal(LogLevel.Information, changes[1].Level);
        Assert.Equal("Critical", changes[1].Value("PreviousLevel"));
        Assert.Equal("None", changes[1].Value("PressureLevel"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task PressureChanged_RiseToModerate_LogsInformation()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Task<MemoryPressureChange> rose = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.Moderate);
        await TestHosts.Within(rose, "the rise to Moderate");

        FakeLogRecord change = Assert.Single(host.Logs().WithEvent(10));
        Assert.Equal(LogLevel.Information, change.Level);
        Assert.Equal("Moderate", change.Value("PressureLevel"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunCompleted_TargetUnmet_LogsInformationWithEveryField()
    {
        // No shrinker at all: nothing can be freed, so the run reaches its lowest priority with the target unmet.
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Task<ReclaimRun> next = reclaimer.NextRunAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        ReclaimRun run = await TestHosts.Within(next, "the background run");

        Assert.False(run.Result.TargetMet);
        FakeLogRecord logged = Assert.Single(host.Logs().WithEvent(20));
        Assert.Equal(LogLevel.Information, logged.Level);
        Assert.Equal("Reclaim.Reclaimer", logged.Category);
        Assert.Equal("manual", logged.Value("Trigger"));
        Assert.Equal("Critical", logged.Value("PressureLevel"));
        Assert.Equal(Text(run.UsageBytes), logged.Value("UsageBytes"));
        Assert.Equal(Text(TestHosts.HugeLimit), logged.Value("LimitBytes"));
        Assert.Equal(Text(run.TargetBytes), logged.Value("TargetBytes"));
        Assert.Equal("0", logged.Value("FreedBytes"));
        Assert.Equal("0", logged.Value("FreedObjects"));
        Assert.Equal(Text(run.Result.LowestPriority), logged.Value("LowestPriority"));
        Assert.Equal("False", logged.Value("TargetMet"));
        Assert.Equal("False", logged.Value("InducedCollection"));
        Assert.Equal(run.Duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), logged.Value("DurationMs"));
        Assert.Equal(run.ReactionTime.TotalMilliseconds.ToString(CultureInfo.InvariantCulture), logged.Value("ReactionTimeMs"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunCompleted_TargetMet_LogsDebug()
    {
        // Moderate pressure on a 1 TB limit: reclaim from the start line (0.8 TB) to the target (0.7 TB), 100 GB. The
        // cache charges 1 TB in 10,000 entries of 100 MB (only numbers: nothing is allocated), so a run can meet it.
        const long Limit = 1_000_000_000_000;
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:MemoryLimitBytes"] = Text(Limit);
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddShrinkableCache<int, long>("charged", o => o.Weigher = static (_, bytes) => bytes);
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();
        var cache = host.Services.GetRequiredService<Caching.ShrinkableCache<int, long>>();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(cache.Set(i, Limit / 10_000));
        }

        Task<ReclaimRun> next = reclaimer.NextRunAsync();
        reclaimer.Signal(MemoryPressureLevel.Moderate);
        ReclaimRun run = await TestHosts.Within(next, "the background run");

        Assert.True(run.Result.TargetMet, $"the run freed {run.Result.BytesFreed} of {run.TargetBytes} bytes");
        FakeLogRecord logged = Assert.Single(host.Logs().WithEvent(20));
        Assert.Equal(LogLevel.Debug, logged.Level);
        Assert.Equal("True", logged.Value("TargetMet"));
        Assert.Equal(Text(run.Result.BytesFreed), logged.Value("FreedBytes"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CallbackFailed_ThrowingShrinkable_LogsWarningWithNameKindAndException()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<ThrowingShrinkable>("thrower");
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());

        host.Registry().DropCaches(TestContext.Current.CancellationToken);

        FakeLogRecord failure = Assert.Single(host.Logs().WithEvent(30));
        Assert.Equal(LogLevel.Warning, failure.Level);
        Assert.Equal("Reclaim.Shrinker", failure.Category);
        Assert.Equal(shrinker.ToString(), failure.Value("Shrinker"));
        Assert.Equal("Scan", failure.Value("Callback"));
        Assert.Equal("scan failed on purpose", Assert.IsType<InvalidOperationException>(failure.Exception).Message);
        Assert.True(shrinker.GetStatistics().CallbackErrors >= 1);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ContractViolated_LyingShrinkable_LogsWarningWithTheValue()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<LyingShrinkable>("liar");
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);

        host.Registry().DropCaches(TestContext.Current.CancellationToken);

        FakeLogRecord violation = Assert.Single(host.Logs().WithEvent(31));
        Assert.Equal(LogLevel.Warning, violation.Level);
        Assert.Equal("Count", violation.Value("Callback"));
        Assert.Equal("-5", violation.Value("Value"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ReclaimerFailed_ThrowingSubscriber_LogsError()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();
        EventHandler<MemoryPressureChange> throwing = static (_, _) => throw new InvalidOperationException("subscriber failed on purpose");
        reclaimer.PressureChanged += throwing;

        // The level changes (the subscriber throws, the reclaimer reports it), then the run completes on the same thread.
        Task<ReclaimRun> next = reclaimer.NextRunAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        await TestHosts.Within(next, "the background run");
        reclaimer.PressureChanged -= throwing;

        FakeLogRecord failure = Assert.Single(host.Logs().WithEvent(40));
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Equal("subscriber failed on purpose", failure.Exception?.Message);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StopAsync_AfterStop_NoLongerLogsShrinkerFaults()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        ShrinkerRegistry registry = host.Registry();
        await host.StopAsync(TestContext.Current.CancellationToken);
        using Shrinker thrower = registry.Alloc("late-thrower");
        thrower.CountObjects = static (Shrinker _, ref ShrinkControl _) => throw new InvalidOperationException("late");
        thrower.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        thrower.Register();

        registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Empty(host.Logs().WithEvent(30));
        Assert.Equal(1, thrower.GetStatistics().CallbackErrors);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
