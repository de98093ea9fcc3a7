using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Reclaim.Hosting.Internal;
using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests;

public sealed partial class ReclaimHostedServiceTests
{
    [Fact]
    public async Task StartAsync_Enabled_StartsTheReclaimerAndStopAsyncStopsIt()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Assert.True(reclaimer.IsRunning);
        Assert.IsType<LoggingDiagnostics>(host.Registry().Diagnostics);

        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.False(reclaimer.IsRunning);
        Assert.Same(ReclaimDiagnostics.None, host.Registry().Diagnostics);
        FakeLogRecord stopped = Assert.Single(host.Logs().WithEvent(5));
        Assert.Equal(LogLevel.Information, stopped.Level);
    }

    [Fact]
    public async Task StartAsync_Disabled_StartsNothingButKeepsTheRest()
    {
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:Enabled"] = "false";
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddShrinker<CountingShrinkable>("counting");
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Assert.False(reclaimer.IsRunning);
        Assert.Empty(reclaimer.Sources);
        Assert.Single(host.Registry().GetShrinkers());
        Assert.NotSame(ReclaimDiagnostics.None, host.Registry().Diagnostics);
        FakeLogRecord disabled = Assert.Single(host.Logs().WithEvent(2));
        Assert.Equal("Reclaim:Enabled", disabled.Value("Setting"));
        Assert.Empty(host.Logs().WithEvent(1));

        ReclaimResult direct = reclaimer.Reclaim(1, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, direct.LowestPriority);

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.Empty(host.Logs().WithEvent(5));
    }

    [Fact]
    public async Task StartAsync_Enabled_LogsTheLimitAndEachSourceOnce()
    {
        // The application's own reclaimer (kept by AddReclaim), with the gen2 source and one that cannot run here.
        var registry = new ShrinkerRegistry();
        var options = new ReclaimerOptions { MemoryLimitBytes = TestHosts.HugeLimit, SamplingInterval = TimeSpan.Zero, UseCgroupEvents = false, UsePressureStallInformation = false };
        options.Sources.Add(new RefusingSource());
        using var reclaimer = new Reclaimer(registry, options);
        HostApplicationBuilder builder = TestHosts.Builder(registry: registry);
        builder.Services.AddSingleton(reclaimer);
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);

        FakeLogRecord started = Assert.Single(host.Logs().WithEvent(1));
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.Equal(TestHosts.HugeLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), started.Value("LimitBytes"));
        Assert.Equal("Explicit", started.Value("LimitSource"));

        FakeLogRecord active = Assert.Single(host.Logs().WithEvent(3));
        Assert.Equal(LogLevel.Information, active.Level);
        Assert.Equal("gen2-gc", active.Value("Source"));

        FakeLogRecord inactive = Assert.Single(host.Logs().WithEvent(4));
        Assert.Equal(LogLevel.Information, inactive.Level);
        Assert.Equal("refusing", inactive.Value("Source"));
        Assert.Equal("not on this test's machine", inactive.Value("Reason"));

        Assert.DoesNotContain(host.Logs().GetSnapshot(), r => r.Level >= LogLevel.Warning);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StopAsync_TokenFiresDuringARun_ReturnsAndWarns()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<GatedShrinkable>("gated");
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();
        var gated = host.Services.GetRequiredService<GatedShrinkable>();
        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());

        reclaimer.Signal(MemoryPressureLevel.Critical);
        await Threaded.Within(gated.Entered, "the run entering the gated scan");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Threaded.Within(host.StopAsync(cancelled.Token), "StopAsync with a cancelled token");

        Assert.Single(host.Logs().WithEvent(6));
        Assert.Equal(ShrinkerState.Freeing, shrinker.State);

        // Released, the run ends and the shrinker finishes freeing on its own (a second FreeAsync waits for that).
        Task<ReclaimRun> run = reclaimer.NextRunAsync();
        gated.Release();
        await TestHosts.Within(run, "the held run ending");
        await Threaded.Within(shrinker.FreeAsync(TestContext.Current.CancellationToken), "the shrinker finishing its free");
        Assert.Equal(ShrinkerState.Freed, shrinker.State);
    }

    /// <summary>A source that cannot run here.</summary>
    private sealed class RefusingSource : IMemoryPressureSource
    {
        public string Name => "refusing";

        public bool TryStart(Action<MemoryPressureSignal> signal, [NotNullWhen(false)] out string? unsupportedReason)
        {
            unsupportedReason = "not on this test's machine";
            return false;
        }

        public void Dispose()
        {
        }
    }
}
