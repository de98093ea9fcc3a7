using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Reclaim.Hosting.Tests;

public sealed partial class ReclaimOptionsTests
{
    /// <summary>The settings <see cref="ReclaimerOptions"/> has and <see cref="ReclaimOptions"/> does not, on purpose.</summary>
    private static readonly string[] CodeOnlySettings = [nameof(ReclaimerOptions.Sources), nameof(ReclaimerOptions.TimeProvider)];

    [Fact]
    public void Constructor_Defaults_MatchReclaimerOptions()
    {
        var options = new ReclaimOptions();
        var core = new ReclaimerOptions();

        Assert.True(options.Enabled);
        foreach (PropertyInfo setting in SharedSettings())
        {
            Assert.Equal(typeof(ReclaimerOptions).GetProperty(setting.Name)!.GetValue(core), setting.GetValue(options));
        }
    }

    [Fact]
    public void SharedSettings_EveryReclaimerSetting_HasAHostedCounterpart()
    {
        string[] hosted = [.. SharedSettings().Select(p => p.Name)];
        string[] missing = [.. typeof(ReclaimerOptions).GetProperties().Select(p => p.Name).Except(hosted).Except(CodeOnlySettings)];

        Assert.Empty(missing);
        Assert.Equal(13, hosted.Length);
    }

    [Fact]
    public void ToReclaimerOptions_EverySetting_IsCopied()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        ReclaimOptions options = NonDefaults();

        ReclaimerOptions core = options.ToReclaimerOptions(time);

        foreach (PropertyInfo setting in SharedSettings())
        {
            Assert.Equal(setting.GetValue(options), typeof(ReclaimerOptions).GetProperty(setting.Name)!.GetValue(core));
        }

        Assert.Same(time, core.TimeProvider);
        Assert.Empty(core.Sources);
        Assert.Same(TimeProvider.System, options.ToReclaimerOptions().TimeProvider);
    }

    [Fact]
    public void AddReclaim_InMemoryConfiguration_BindsEverySetting()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reclaim:Enabled"] = "false",
            ["Reclaim:DiagnosticEndpoint"] = "true",
            ["Reclaim:DiagnosticEndpointReadOnly"] = "true",
            ["Reclaim:MemoryLimitBytes"] = "536870912",
            ["Reclaim:TargetWatermark"] = "0.5",
            ["Reclaim:StartWatermark"] = "0.6",
            ["Reclaim:DirectWatermark"] = "0.95",
            ["Reclaim:SamplingInterval"] = "00:00:00.250",
            ["Reclaim:LimitRefreshInterval"] = "00:01:00",
            ["Reclaim:LevelCooldown"] = "00:00:03",
            ["Reclaim:InducedCollectionInterval"] = "00:00:07",
            ["Reclaim:InduceCollections"] = "false",
            ["Reclaim:UseGen2CollectionSignal"] = "false",
            ["Reclaim:UseCgroupEvents"] = "false",
            ["Reclaim:UsePressureStallInformation"] = "false",
            ["Reclaim:PressureStallTrigger"] = "full 100000 2000000",
        }).Build());
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();
        ReclaimOptions options = provider.GetRequiredService<IOptions<ReclaimOptions>>().Value;

        AssertNonDefaults(options);
    }

    [Fact]
    public void AddReclaim_ConfigurationSection_BindsThatSection()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reclaim:StartWatermark"] = "0.6",
            ["Memory:Reclaim:StartWatermark"] = "0.75",
            ["Memory:Reclaim:MemoryLimitBytes"] = "1024",
        }).Build();
        var services = new ServiceCollection();
        services.AddReclaim(configuration.GetSection("Memory:Reclaim"));

        using ServiceProvider provider = services.BuildServiceProvider();
        ReclaimOptions options = provider.GetRequiredService<IOptions<ReclaimOptions>>().Value;

        Assert.Equal(0.75, options.StartWatermark);
        Assert.Equal(1024, options.MemoryLimitBytes);
        Assert.Equal("Memory:Reclaim:StartWatermark", options.KeyOf(nameof(ReclaimOptions.StartWatermark)));
    }

    [Fact]
    public void AddReclaim_Action_SetsOptionsAfterConfiguration()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Reclaim:StartWatermark"] = "0.75",
            ["Reclaim:DirectWatermark"] = "0.85",
        }).Build());
        services.AddReclaim(o => o.StartWatermark = 0.78);

        using ServiceProvider provider = services.BuildServiceProvider();
        ReclaimOptions options = provider.GetRequiredService<IOptions<ReclaimOptions>>().Value;

        Assert.Equal(0.78, options.StartWatermark);
        Assert.Equal(0.85, options.DirectWatermark);
    }

    [Fact]
    public void AddReclaim_NoSection_KeepsDefaults()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();
        ReclaimOptions options = provider.GetRequiredService<IOptions<ReclaimOptions>>().Value;

        var defaults = new ReclaimOptions();
        foreach (PropertyInfo setting in typeof(ReclaimOptions).GetProperties())
        {
            Assert.Equal(setting.GetValue(defaults), setting.GetValue(options));
        }
    }

    /// <summary>The settings of <see cref="ReclaimOptions"/> that are the host's own (no <see cref="ReclaimerOptions"/> counterpart).</summary>
    private static readonly string[] HostOnlySettings =
        [nameof(ReclaimOptions.Enabled), nameof(ReclaimOptions.DiagnosticEndpoint), nameof(ReclaimOptions.DiagnosticEndpointReadOnly)];

    /// <summary>The public settings of <see cref="ReclaimOptions"/> that map to a <see cref="ReclaimerOptions"/> one.</summary>
    private static IEnumerable<PropertyInfo> SharedSettings() =>
        typeof(ReclaimOptions).GetProperties().Where(p => !HostOnlySettings.Contains(p.Name));

    private static ReclaimOptions NonDefaults() => new()
    {
        Enabled = false,
        DiagnosticEndpoint = true,
        DiagnosticEndpointReadOnly = true,
        MemoryLimitBytes = 512L << 20,
        TargetWatermark = 0.5,
        StartWatermark = 0.6,
        DirectWatermark = 0.95,
        SamplingInterval = TimeSpan.FromMilliseconds(250),
        LimitRefreshInterval = TimeSpan.FromMinutes(1),
        LevelCooldown = TimeSpan.FromSeconds(3),
        InducedCollectionInterval = TimeSpan.FromSeconds(7),
        InduceCollections = false,
        UseGen2CollectionSignal = false,
        UseCgroupEvents = false,
        UsePressureStallInformation = false,
        PressureStallTrigger = "full 100000 2000000",
    };

    private static void AssertNonDefaults(ReclaimOptions options)
    {
        ReclaimOptions expected = NonDefaults();
        foreach (PropertyInfo setting in typeof(ReclaimOptions).GetProperties())
        {
            object? value = setting.GetValue(options);
            Assert.Equal(setting.GetValue(expected), value);
            Assert.NotEqual(setting.GetValue(new ReclaimOptions()), value);
        }
    }
}
