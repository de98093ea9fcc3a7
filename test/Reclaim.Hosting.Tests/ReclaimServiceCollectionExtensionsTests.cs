using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests;

public sealed partial class ReclaimServiceCollectionExtensionsTests
{
    [Fact]
    public void AddReclaim_CalledTwice_RegistersOneHostedServiceAndOneOfEachValidator()
    {
        var services = new ServiceCollection();

        IServiceCollection returned = services.AddReclaim();
        services.AddReclaim(o => o.Enabled = false);
        services.AddReclaim(new ConfigurationBuilder().Build());

        Assert.Same(services, returned);
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ReclaimHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(Reclaimer));
        Assert.Single(services, d => d.ServiceType == typeof(ShrinkerRegistry));
        Assert.Equal(2, services.Count(d => d.ServiceType == typeof(IValidateOptions<ReclaimOptions>)));
    }

    [Fact]
    public async Task AddReclaim_CalledTwice_HostRunsOneHostedService()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        builder.Services.AddReclaim();

        using IHost host = await TestHosts.StartAsync(builder);

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<ReclaimHostedService>());
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddReclaim_NoRegistry_UsesTheDefaultRegistry()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(ShrinkerRegistry.Default, provider.GetRequiredService<ShrinkerRegistry>());
        Assert.Same(ShrinkerRegistry.Default, provider.GetRequiredService<Reclaimer>().Registry);
    }

    [Fact]
    public void AddReclaim_RegistryRegisteredFirst_KeepsIt()
    {
        var registry = new ShrinkerRegistry();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(registry);
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(registry, provider.GetRequiredService<ShrinkerRegistry>());
        Assert.Same(registry, provider.GetRequiredService<Reclaimer>().Registry);
    }

    [Fact]
    public void AddReclaim_ReclaimerRegisteredFirst_KeepsIt()
    {
        var registry = new ShrinkerRegistry();
        using var reclaimer = new Reclaimer(registry);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(reclaimer);
        services.AddReclaim();

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(reclaimer, provider.GetRequiredService<Reclaimer>());
    }

    [Fact]
    public void AddReclaim_MemoryLimitSet_ReclaimerUsesIt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(new ShrinkerRegistry());
        services.AddReclaim(o => o.MemoryLimitBytes = 123_456_789);

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(new MemoryLimit(123_456_789, MemoryLimitSource.Explicit), provider.GetRequiredService<Reclaimer>().Limit);
    }

    [Fact]
    public async Task AddReclaim_TimeProviderRegistered_ReclaimerRunsOnIt()
    {
        // The level falls only after LevelCooldown (10 s) on the reclaimer's clock: with the fake clock registered it
        // falls as soon as the test moves that clock, long before 10 real seconds.
        var time = new FakeTimeProvider();
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Task<MemoryPressureChange> rose = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        Assert.Equal(MemoryPressureLevel.Critical, (await TestHosts.Within(rose, "the rise to Critical")).Current);

        time.Advance(TimeSpan.FromSeconds(11));
        Task<MemoryPressureChange> fell = reclaimer.NextPressureChangeAsync();
        reclaimer.Signal(MemoryPressureLevel.None);

        Assert.Equal(MemoryPressureLevel.None, (await TestHosts.Within(fell, "the fall after the fake cooldown")).Current);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddReclaim_NullArguments_Throw()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>(() => ReclaimServiceCollectionExtensions.AddReclaim(null!));
        Assert.Throws<ArgumentNullException>(() => services.AddReclaim((Action<ReclaimOptions>)null!));
        Assert.Throws<ArgumentNullException>(() => services.AddReclaim((IConfiguration)null!));
    }
}
