using Microsoft.Extensions.Hosting;
using Reclaim.Diagnostics;

namespace Reclaim.Hosting.Tests;

/// <summary>The debug endpoint opened by the hosted service when the options turn it on.</summary>
public class ReclaimHostedServiceEndpointTests
{
    [Fact]
    public async Task Start_DiagnosticEndpointOn_ListensUntilStop()
    {
        Dictionary<string, string?> settings = TestHosts.QuietSettings();
        settings["Reclaim:DiagnosticEndpoint"] = "true";
        settings["Reclaim:DiagnosticEndpointReadOnly"] = "true";
        HostApplicationBuilder builder = TestHosts.Builder(settings);
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);

        string endpoint = Assert.Single(host.Logs().WithEvent(50)).Value("Endpoint")!;
        await using (ReclaimDiagnosticClient client = await ReclaimDiagnosticClient.ConnectAsync(endpoint, TestContext.Current.CancellationToken))
        {
            var refused = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.DropCachesAsync(TestContext.Current.CancellationToken));
            Assert.Equal(Diagnostics.Protocol.DiagnosticErrorCode.ReadOnly, refused.Code);
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(endpoint), "the socket is removed at stop");
    }

    [Fact]
    public async Task Start_DiagnosticEndpointOff_OpensNothing()
    {
        HostApplicationBuilder builder = TestHosts.Builder();
        builder.Services.AddReclaim();
        using IHost host = await TestHosts.StartAsync(builder);

        Assert.Empty(host.Logs().WithEvent(50));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
