using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Reclaim.Hosting.Tests.Internal;

public sealed class ShrinkerRegistrationServiceTests
{
    [Fact]
    public async Task StartAsync_AServiceFailsToResolve_FreesTheShrinkersAlreadyRegistered()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("first");
        builder.Services.AddShrinker<UnmakeableShrinkable>("second");
        using IHost host = builder.Build();

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal("cannot be made", error.Message);
        Assert.Empty(host.Registry().GetShrinkers());
    }

    [Fact]
    public async Task StopAsync_WithoutStart_DoesNothing()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddShrinker<CountingShrinkable>("counting");
        using IHost host = builder.Build();

        foreach (IHostedService service in host.Services.GetServices<IHostedService>())
        {
            await service.StopAsync(TestContext.Current.CancellationToken);
        }

        Assert.Empty(host.Registry().GetShrinkers());
    }

    private sealed class UnmakeableShrinkable : IShrinkable
    {
        public UnmakeableShrinkable() => throw new InvalidOperationException("cannot be made");

        public long CountObjects(ref ShrinkControl control) => 0;

        public long ScanObjects(ref ShrinkControl control) => 0;
    }
}
