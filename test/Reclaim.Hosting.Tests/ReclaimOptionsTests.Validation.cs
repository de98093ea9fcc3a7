using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Reclaim.Hosting.Tests;

// Every rule, checked at host start: the exception is OptionsValidationException and its message names the key.
public sealed partial class ReclaimOptionsTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "TargetWatermark", "0", "Reclaim:TargetWatermark (0.00) must be above 0 and at most 1" },
        { "TargetWatermark", "-0.5", "Reclaim:TargetWatermark (-0.50) must be above 0 and at most 1" },
        { "TargetWatermark", "NaN", "Reclaim:TargetWatermark (NaN) must be above 0 and at most 1" },
        { "StartWatermark", "1.5", "Reclaim:StartWatermark (1.50) must be above 0 and at most 1" },
        { "DirectWatermark", "1.01", "Reclaim:DirectWatermark (1.01) must be above 0 and at most 1" },
        { "DirectWatermark", "0", "Reclaim:DirectWatermark (0.00) must be above 0 and at most 1" },
        { "TargetWatermark", "0.85", "Reclaim:TargetWatermark (0.85) must be below Reclaim:StartWatermark (0.80)." },
        { "TargetWatermark", "0.8", "Reclaim:TargetWatermark (0.80) must be below Reclaim:StartWatermark (0.80)." },
        { "StartWatermark", "0.95", "Reclaim:StartWatermark (0.95) must be below Reclaim:DirectWatermark (0.90)." },
        { "DirectWatermark", "0.8", "Reclaim:StartWatermark (0.80) must be below Reclaim:DirectWatermark (0.80)." },
        { "MemoryLimitBytes", "0", "Reclaim:MemoryLimitBytes (0) must be positive, or unset to detect the limit." },
        { "MemoryLimitBytes", "-1", "Reclaim:MemoryLimitBytes (-1) must be positive, or unset to detect the limit." },
        { "SamplingInterval", "-00:00:01", "Reclaim:SamplingInterval (-00:00:01) must not be negative." },
        { "LimitRefreshInterval", "00:00:00", "Reclaim:LimitRefreshInterval (00:00:00) must be positive." },
        { "LimitRefreshInterval", "-00:00:05", "Reclaim:LimitRefreshInterval (-00:00:05) must be positive." },
        { "LevelCooldown", "-00:00:00.001", "Reclaim:LevelCooldown (-00:00:00.0010000) must not be negative." },
        { "InducedCollectionInterval", "-00:00:02", "Reclaim:InducedCollectionInterval (-00:00:02) must not be negative." },
        { "PressureStallTrigger", "", "Reclaim:PressureStallTrigger ('') must be 'some|full <stall µs> <window µs>'" },
        { "PressureStallTrigger", "sometimes 150000 1000000", "Reclaim:PressureStallTrigger ('sometimes 150000 1000000') must be 'some|full" },
        { "PressureStallTrigger", "some 150000", "Reclaim:PressureStallTrigger ('some 150000') must be 'some|full" },
        { "PressureStallTrigger", "some 150ms 1s", "Reclaim:PressureStallTrigger ('some 150ms 1s') must be 'some|full" },
        { "PressureStallTrigger", "some -1 1000000", "Reclaim:PressureStallTrigger ('some -1 1000000') must be 'some|full" },
        { "PressureStallTrigger", "some 0 1000000", "Reclaim:PressureStallTrigger ('some 0 1000000') must have a stall above 0 and at most the window." },
        { "PressureStallTrigger", "full 2000000 1000000", "Reclaim:PressureStallTrigger ('full 2000000 1000000') must have a stall above 0 and at most the window." },
        { "PressureStallTrigger", "some 1000 100000", "Reclaim:PressureStallTrigger ('some 1000 100000') must have a window from 500000 to 10000000 µs" },
        { "PressureStallTrigger", "some 150000 20000000", "Reclaim:PressureStallTrigger ('some 150000 20000000') must have a window from 500000 to 10000000 µs" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task StartAsync_BadSetting_ThrowsNamingTheKey(string setting, string value, string expected)
    {
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings[$"Reclaim:{setting}"] = value;
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddReclaim();
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(ReclaimOptions), error.OptionsType);
    }

    [Theory]
    [InlineData("0.001", "0.002", "1")]
    [InlineData("0.5", "0.9", "1.0")]
    [InlineData("0.7", "0.8", "0.9")]
    public async Task StartAsync_WatermarksInOrder_Starts(string target, string start, string direct)
    {
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:TargetWatermark"] = target;
        settings["Reclaim:StartWatermark"] = start;
        settings["Reclaim:DirectWatermark"] = direct;
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddReclaim();

        using IHost host = await TestHosts.StartAsync(builder);

        Assert.True(host.Reclaimer().IsRunning);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StartAsync_BadSettingInNamedSection_NamesTheSectionsKey()
    {
        HostApplicationBuilder builder = TestHosts.Builder(new Dictionary<string, string?> { ["Memory:Reclaim:StartWatermark"] = "0.95" });
        builder.Services.AddReclaim(builder.Configuration.GetSection("Memory:Reclaim"));
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Memory:Reclaim:StartWatermark (0.95) must be below Memory:Reclaim:DirectWatermark (0.90).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_BadSettingFromCode_NamesTheKeyAndReportsEveryFailure()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim(o =>
        {
            o.DirectWatermark = 2;
            o.SamplingInterval = TimeSpan.FromSeconds(-1);
        });
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Reclaim:DirectWatermark (2.00) must be above 0 and at most 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Reclaim:SamplingInterval (-00:00:01) must not be negative.", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void Validate_CalledTwice_ReportsEachFailureOnce()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Reclaim:StartWatermark"] = "1.5" }).Build());
        services.AddReclaim();
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(
            () => provider.GetRequiredService<IOptions<ReclaimOptions>>().Value);

        // The range rule (data annotations) and the order rule (the validator), each once.
        Assert.Equal(2, error.Failures.Count());
    }
}
