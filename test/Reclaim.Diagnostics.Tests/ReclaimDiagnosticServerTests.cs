using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// <see cref="ReclaimDiagnosticServer"/>: its life (opt-in, start, dispose) here; its commands, the kernel's scan cases,
/// the error codes, hostile clients and the socket's security in the other parts of this class.
/// </summary>
public partial class ReclaimDiagnosticServerTests
{
    [Fact]
    public async Task Start_NotEnabled_NothingOpened()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(ReclaimDiagnosticServer.EnvironmentVariable) is not null, "RECLAIM_DIAGNOSTICS is set");
        using var process = new TestProcess();
        using var temp = new TempDirectory();
        string directory = temp.Path;
        await using var server = new ReclaimDiagnosticServer(process.Registry, null, new ReclaimDiagnosticServerOptions
        {
            SocketPath = Path.Combine(directory, "s.sock"),
        });

        Assert.False(server.Start());

        Assert.False(server.IsListening);
        Assert.Null(server.Endpoint);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task StartFromEnvironment_EnabledByOptions_ListeningServerElseNull()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(ReclaimDiagnosticServer.EnvironmentVariable) is not null, "RECLAIM_DIAGNOSTICS is set");
        using var process = new TestProcess();
        using var temp = new TempDirectory();
        string directory = temp.Path;
        var options = new ReclaimDiagnosticServerOptions { Enabled = true, SocketPath = Path.Combine(directory, "s.sock") };

        await using ReclaimDiagnosticServer? server = ReclaimDiagnosticServer.StartFromEnvironment(process.Registry, null, options);
        ReclaimDiagnosticServer? off = ReclaimDiagnosticServer.StartFromEnvironment(process.Registry, null, new ReclaimDiagnosticServerOptions());

        Assert.NotNull(server);
        Assert.True(server.IsListening);
        Assert.Equal(options.SocketPath, server.Endpoint);
        Assert.Null(off);
    }

    [Theory]
    [InlineData(false, null, false)]
    [InlineData(true, null, true)]
    [InlineData(false, "1", true)]
    [InlineData(false, "true", true)]
    [InlineData(false, " TRUE ", true)]
    [InlineData(true, "0", false)]
    [InlineData(true, "false", false)]
    [InlineData(true, "yes please", true)]
    [InlineData(false, "", false)]
    public void IsEnabled_VariableWinsWhenSetToAKnownValue(bool option, string? variable, bool expected) =>
        Assert.Equal(expected, ReclaimDiagnosticServer.IsEnabled(option, variable));

    [Fact]
    public async Task Start_Twice_SameEndpoint_DisposeTwiceThenStartThrows()
    {
        using var process = new TestProcess();
        var harness = ServerHarness.Start(process.Registry);

        Assert.True(harness.Server.Start());
        Assert.Equal(harness.SocketPath, harness.Server.Endpoint);

        await harness.DisposeAsync();
        harness.Server.Dispose();
        Assert.Throws<ObjectDisposedException>(() => harness.Server.Start());
    }

    [Fact]
    public void Start_DirectoryMissing_FalseAndLogged()
    {
        using var process = new TestProcess();
        var log = new List<string>();
        using var server = new ReclaimDiagnosticServer(process.Registry, null, new ReclaimDiagnosticServerOptions
        {
            Enabled = true,
            SocketPath = "/nonexistent-reclaim-dir/s.sock",
            Log = log.Add,
        });

        Assert.False(server.Start());
        Assert.Contains(log, l => l.Contains("could not start", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(ReclaimDiagnosticServerOptions.MaxRequestBytes))]
    [InlineData(nameof(ReclaimDiagnosticServerOptions.RequestTimeout))]
    [InlineData(nameof(ReclaimDiagnosticServerOptions.MaxConnections))]
    [InlineData(nameof(ReclaimDiagnosticServerOptions.RecentRunCount))]
    [InlineData(nameof(ReclaimDiagnosticServerOptions.SocketPath))]
    public void Constructor_SettingOutOfRange_ArgumentExceptionNamingIt(string setting)
    {
        var options = new ReclaimDiagnosticServerOptions();
        switch (setting)
        {
            case nameof(options.MaxRequestBytes):
                options.MaxRequestBytes = 10;
                break;
            case nameof(options.RequestTimeout):
                options.RequestTimeout = TimeSpan.Zero;
                break;
            case nameof(options.MaxConnections):
                options.MaxConnections = 0;
                break;
            case nameof(options.RecentRunCount):
                options.RecentRunCount = 0;
                break;
            default:
                options.SocketPath = " ";
                break;
        }

        ArgumentException error = Assert.ThrowsAny<ArgumentException>(() => new ReclaimDiagnosticServer(new ShrinkerRegistry(), null, options));
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ReclaimerOfAnotherRegistry_ArgumentException()
    {
        using var reclaimer = new Reclaimer(new ShrinkerRegistry(), new ReclaimerOptions { MemoryLimitBytes = 1 << 30 });

        Assert.Throws<ArgumentException>("reclaimer", () => new ReclaimDiagnosticServer(new ShrinkerRegistry(), reclaimer));
    }

    [Fact]
    public async Task Dispose_CommandRunning_WaitsForIt()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedScan(registry);
        var harness = ServerHarness.Start(registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        Task<DropCachesResult> running = client.DropCachesAsync(TestContext.Current.CancellationToken);
        gated.WaitInside();

        Task disposing = harness.DisposeAsync().AsTask();
        Assert.False(await Threaded.CompletesWithin(disposing, TimeSpan.FromMilliseconds(100)), "dispose did not wait for the running command");
        gated.Release();

        await Threaded.Within(disposing, "dispose after the command ended");
        try
        {
            await running; // answered if it finished before the connection was cut
        }
        catch (ReclaimDiagnosticException ex) when (ex.Code is DiagnosticErrorCode.ConnectionFailed or DiagnosticErrorCode.Internal)
        {
        }
    }
}
