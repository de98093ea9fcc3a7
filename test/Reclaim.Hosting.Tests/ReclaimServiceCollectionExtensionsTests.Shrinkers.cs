using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Reclaim.Caching;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests;

// AddShrinker and AddShrinkableCache: visible to reclaim from host start, reclaimed, and freed.
public sealed partial class ReclaimServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddShrinker_HostStarted_RegistersAShrinkerThatReclaimScans()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("counting", seeks: 4);
        using IHost host = await TestHosts.StartAsync(builder);
        ShrinkerRegistry registry = host.Registry();
        var shrinkable = host.Services.GetRequiredService<CountingShrinkable>();

        Shrinker shrinker = Assert.Single(registry.GetShrinkers());
        Assert.Equal("counting", shrinker.Name);
        Assert.Equal(4, shrinker.Seeks);
        Assert.Same(shrinkable, shrinker.PrivateData);

        registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(0, shrinkable.Objects);
        Assert.True(shrinker.GetStatistics().ObjectsFreed >= 100_000);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddShrinker_HostStopped_FreesTheShrinker()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("counting");
        using IHost host = await TestHosts.StartAsync(builder);
        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());

        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ShrinkerState.Freed, shrinker.State);
        Assert.Empty(host.Registry().GetShrinkers());
        Assert.Equal(0, host.Registry().RegisteredCount);
    }

    [Fact]
    public async Task AddShrinker_BackgroundRunUnderCriticalPressure_ScansTheService()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("counting");
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);
        Reclaimer reclaimer = host.Reclaimer();

        Task<ReclaimRun> run = reclaimer.NextRunAsync();
        reclaimer.Signal(MemoryPressureLevel.Critical);
        ReclaimRun completed = await TestHosts.Within(run, "the background run");

        var shrinkable = host.Services.GetRequiredService<CountingShrinkable>();
        Assert.True(shrinkable.Scanned > 0, "the run scanned the service");
        Assert.True(completed.Result.ObjectsFreed > 0);
        Assert.Equal(100_000 - completed.Result.ObjectsFreed, shrinkable.Objects);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddShrinker_ServiceRegisteredFirst_UsesThatInstance()
    {
        var mine = new CountingShrinkable { Objects = 7 };
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddSingleton(mine);
        builder.Services.AddShrinker<CountingShrinkable>("mine", ShrinkerFlags.NodeAware);
        using IHost host = await TestHosts.StartAsync(builder);

        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());
        Assert.Same(mine, shrinker.PrivateData);
        Assert.True(shrinker.IsNodeAware);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddShrinker_GroupAware_IsHandedItsShrinkerAndVisitedByGroupPasses()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<GroupShrinkable>("tenant-data", ShrinkerFlags.GroupAware);
        using IHost host = await TestHosts.StartAsync(builder);
        ShrinkerRegistry registry = host.Registry();
        var service = host.Services.GetRequiredService<GroupShrinkable>();
        Groups.MemoryGroup tenant = registry.Root.CreateChild("tenant");

        Assert.Same(Assert.Single(registry.GetShrinkers()), service.Shrinker);
        service.Fill(tenant, 1_000);
        long freed = registry.ShrinkSlab(0, tenant, 0);

        Assert.True(freed > 0, "the group pass visited the service through the bit it marked");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddShrinker_SameServiceTwice_Throws()
    {
        var services = new ServiceCollection();
        services.AddShrinker<CountingShrinkable>("one");

        ArgumentException error = Assert.Throws<ArgumentException>(() => services.AddShrinker<CountingShrinkable>("two"));
        Assert.Contains("CountingShrinkable was already added as a shrinker", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddShrinker_BadArguments_Throw()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>(() => ReclaimServiceCollectionExtensions.AddShrinker<CountingShrinkable>(null!, "x"));
        Assert.Throws<ArgumentException>(() => services.AddShrinker<CountingShrinkable>(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddShrinker<CountingShrinkable>("x", seeks: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddShrinker<CountingShrinkable>("x", (ShrinkerFlags)4));
        Assert.Empty(services);
    }

    [Fact]
    public async Task AddShrinkableCache_HostStarted_CacheIsKeyedUnkeyedAndRegistered()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinkableCache<string, byte[]>("pages", o => o.Seeks = 5);
        using IHost host = await TestHosts.StartAsync(builder);

        var keyed = host.Services.GetRequiredKeyedService<ShrinkableCache<string, byte[]>>("pages");
        var plain = host.Services.GetRequiredService<ShrinkableCache<string, byte[]>>();
        Shrinker shrinker = Assert.Single(host.Registry().GetShrinkers());

        Assert.Same(keyed, plain);
        Assert.Same(keyed.Shrinker, shrinker);
        Assert.Equal("pages", shrinker.Name);
        Assert.Equal(5, shrinker.Seeks);
        Assert.Same(host.Registry().Root, keyed.Group);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddShrinkableCache_DropCaches_EvictsTheEntries()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinkableCache<int, string>("numbers", o => o.Weigher = static (_, value) => value.Length);
        using IHost host = await TestHosts.StartAsync(builder);
        var cache = host.Services.GetRequiredKeyedService<ShrinkableCache<int, string>>("numbers");
        for (int i = 0; i < 5; i++)
        {
            cache.Set(i, new string('x', 100));
        }

        Assert.Equal(500, host.Registry().Root.Usage);

        host.Registry().DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(0, cache.Count);
        Assert.Equal(5, cache.GetStatistics().EvictedByReclaim);
        Assert.Equal(0, host.Registry().Root.Usage);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddShrinkableCache_HostDisposed_FreesTheCachesShrinker()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinkableCache<int, string>("numbers");
        IHost host = await TestHosts.StartAsync(builder);
        ShrinkerRegistry registry = host.Registry();
        var cache = host.Services.GetRequiredService<ShrinkableCache<int, string>>();
        cache.Set(1, "one");

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(cache.Shrinker.IsRegistered, "the cache stays usable until the container is disposed");
        Assert.True(cache.TryGetValue(1, out _));
        host.Dispose();

        Assert.Equal(ShrinkerState.Freed, cache.Shrinker.State);
        Assert.Empty(registry.GetShrinkers());
    }

    [Fact]
    public async Task AddShrinkableCache_TwoCachesOfOneType_FirstIsUnkeyedBothRegistered()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinkableCache<int, string>("first");
        builder.Services.AddShrinkableCache<int, string>("second");
        using IHost host = await TestHosts.StartAsync(builder);

        var first = host.Services.GetRequiredKeyedService<ShrinkableCache<int, string>>("first");
        var second = host.Services.GetRequiredKeyedService<ShrinkableCache<int, string>>("second");

        Assert.NotSame(first, second);
        Assert.Same(first, host.Services.GetRequiredService<ShrinkableCache<int, string>>());
        Assert.Equal(["first", "second"], host.Registry().GetShrinkers().Select(s => s.Name).Order());
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddShrinkableCache_SameNameTwice_Throws()
    {
        var services = new ServiceCollection();
        services.AddShrinkableCache<int, string>("numbers");

        ArgumentException error = Assert.Throws<ArgumentException>(() => services.AddShrinkableCache<int, string>("numbers"));
        Assert.Contains("ShrinkableCache<Int32, String> named 'numbers' was already added", error.Message, StringComparison.Ordinal);
        services.AddShrinkableCache<int, byte[]>("numbers");
    }

    [Fact]
    public void AddShrinkableCache_BadArguments_Throw()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>(() => ReclaimServiceCollectionExtensions.AddShrinkableCache<int, int>(null!, "x"));
        Assert.Throws<ArgumentException>(() => services.AddShrinkableCache<int, int>(""));
        Assert.Empty(services);
    }
}
