using System.Net.Sockets;
using System.Text;
using Reclaim.Diagnostics.Internal;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// <see cref="ReclaimDiagnosticClient"/>: finding endpoints (<c>ps</c>), connecting by pid, and every failure as a
/// <see cref="ReclaimDiagnosticException"/> with its code.
/// </summary>
public class ReclaimDiagnosticClientTests
{
    [Fact]
    public async Task GetEndpoints_LiveServersOnly_WithProcessName()
    {
        using var temp = new TempDirectory();
        string directory = temp.Path;
        string ours = EndpointNames.SocketFileName(Environment.ProcessId, ProcessInfo.CurrentStartKey);
        ReclaimDiagnosticServerTests.MakeStaleSocket(Path.Combine(directory, EndpointNames.SocketFileName(ReclaimDiagnosticServerTests.DeadPid(), 7)));
        await File.WriteAllTextAsync(Path.Combine(directory, "unrelated-socket"), string.Empty, TestContext.Current.CancellationToken);
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, directory: directory, socketName: ours);
        ReclaimDiagnosticServerTests.MakeStaleSocket(Path.Combine(directory, EndpointNames.SocketFileName(ReclaimDiagnosticServerTests.DeadPid(), 8)));

        IReadOnlyList<DiagnosticEndpoint> endpoints = ReclaimDiagnosticClient.GetEndpoints(directory);

        DiagnosticEndpoint endpoint = Assert.Single(endpoints);
        Assert.Equal(Environment.ProcessId, endpoint.ProcessId);
        Assert.Equal(harness.SocketPath, endpoint.Address);
        Assert.Equal(System.Diagnostics.Process.GetCurrentProcess().ProcessName, endpoint.ProcessName);
    }

    [Fact]
    public async Task ConnectToProcessAsync_ByPid_Connected()
    {
        using var temp = new TempDirectory();
        string directory = temp.Path;
        string ours = EndpointNames.SocketFileName(Environment.ProcessId, ProcessInfo.CurrentStartKey);
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, directory: directory, socketName: ours);

        await using ReclaimDiagnosticClient client = await ReclaimDiagnosticClient.ConnectToProcessAsync(
            Environment.ProcessId, directory, TestContext.Current.CancellationToken);

        Assert.Equal(harness.SocketPath, client.Endpoint);
        Assert.Equal(["0 7 0"], (await client.CountAsync("plain-0", TestContext.Current.CancellationToken)).Lines);
    }

    [Fact]
    public async Task ConnectToProcessAsync_NoSuchProcessOrNoEndpoint_EndpointNotFound()
    {
        using var temp = new TempDirectory();
        string empty = temp.Path;

        var dead = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            ReclaimDiagnosticClient.ConnectToProcessAsync(ReclaimDiagnosticServerTests.DeadPid(), empty, TestContext.Current.CancellationToken));
        var quiet = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            ReclaimDiagnosticClient.ConnectToProcessAsync(Environment.ProcessId, empty, TestContext.Current.CancellationToken));

        Assert.Equal(DiagnosticErrorCode.EndpointNotFound, dead.Code);
        Assert.Contains("No process has id", dead.Message, StringComparison.Ordinal);
        Assert.Equal(DiagnosticErrorCode.EndpointNotFound, quiet.Code);
        Assert.Contains("RECLAIM_DIAGNOSTICS=1", quiet.Message, StringComparison.Ordinal);
        Assert.Equal("endpoint_not_found", quiet.WireCode);
    }

    [Fact]
    public async Task ConnectAsync_NothingThereOrNobodyListening_EndpointNotFoundOrConnectionFailed()
    {
        using var temp = new TempDirectory();
        string directory = temp.Path;
        string stale = Path.Combine(directory, "stale.sock");
        ReclaimDiagnosticServerTests.MakeStaleSocket(stale);

        var missing = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            ReclaimDiagnosticClient.ConnectAsync(Path.Combine(directory, "missing.sock"), TestContext.Current.CancellationToken));
        var refused = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            ReclaimDiagnosticClient.ConnectAsync(stale, TestContext.Current.CancellationToken));

        Assert.Equal(DiagnosticErrorCode.EndpointNotFound, missing.Code);
        Assert.Equal(DiagnosticErrorCode.ConnectionFailed, refused.Code);
    }

    [Fact]
    public async Task SendAsync_ServerErrors_TypedExceptionConnectionStillUsable()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        var version = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            client.SendAsync(DiagnosticRequest.List() with { ProtocolVersion = 9 }, ct));
        var extra = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() =>
            client.SendAsync(DiagnosticRequest.List() with { Node = 1 }, ct));

        Assert.Equal(DiagnosticErrorCode.UnsupportedVersion, version.Code);
        Assert.Equal(DiagnosticErrorCode.BadRequest, extra.Code);
        Assert.Equal(5, (await client.ListAsync(ct)).Shrinkers.Count);
        Assert.Equal("plain-0", (await client.SendAsync(DiagnosticRequest.List(), ct)).GetProperty("shrinkers")[0].GetProperty("shrinker").GetString());
    }

    [Fact]
    public async Task SendAsync_ConcurrentCallsOnOneClient_EachGetsItsOwnAnswer()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        string[] names = ["plain-0", "numa-1", "memcg-2", "empty-4", "plain-0", "numa-1"];
        Task<ShrinkerCountResult>[] counts = names
            .Select(name => Task.Run(() => client.CountAsync(name, ct), ct)).ToArray();
        ShrinkerCountResult[] results = await Task.WhenAll(counts);

        Assert.Equal(names, results.Select(r => r.Shrinker));
    }

    [Theory]
    [InlineData("hello\n", DiagnosticErrorCode.InvalidResponse)]
    [InlineData("{\"v\":2,\"ok\":true,\"result\":{}}\n", DiagnosticErrorCode.InvalidResponse)]
    [InlineData("{\"v\":1,\"ok\":true}\n", DiagnosticErrorCode.InvalidResponse)]
    [InlineData("{\"v\":1,\"ok\":true,\"result\":{\"protocol\":\"one\"}}\n", DiagnosticErrorCode.InvalidResponse)]
    [InlineData("{\"v\":1,\"ok\":false,\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}\n", DiagnosticErrorCode.Unknown)]
    [InlineData("", DiagnosticErrorCode.ConnectionFailed)]
    public async Task SendAsync_ServerAnswersWrongly_CodeSaysHow(string answer, DiagnosticErrorCode expected)
    {
        await using var fake = await FakeServer.StartAsync(answer);
        await using ReclaimDiagnosticClient client = await ReclaimDiagnosticClient.ConnectAsync(fake.Path, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.GetVersionAsync(TestContext.Current.CancellationToken));

        Assert.Equal(expected, error.Code);
        if (expected == DiagnosticErrorCode.Unknown)
        {
            Assert.Contains("rate_limited", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SendAsync_NoAnswerInTime_TimeoutThenBroken()
    {
        await using var fake = await FakeServer.StartAsync(answer: null);
        await using ReclaimDiagnosticClient client = await ReclaimDiagnosticClient.ConnectAsync(fake.Path, TestContext.Current.CancellationToken);
        client.Timeout = TimeSpan.FromMilliseconds(200);

        var timeout = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.ListAsync(TestContext.Current.CancellationToken));
        var after = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.ListAsync(TestContext.Current.CancellationToken));

        Assert.Equal(DiagnosticErrorCode.Timeout, timeout.Code);
        Assert.Equal(DiagnosticErrorCode.ConnectionFailed, after.Code);
    }

    [Fact]
    public async Task Dispose_ThenSend_ObjectDisposed()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        ReclaimDiagnosticClient client = await harness.ConnectAsync();

        client.Dispose();
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ListAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>A socket that answers the first line with a fixed text (or never, for null; or closes, for empty).</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly TempDirectory _directory;
        private readonly Socket _listener;
        private readonly Task _serving;

        private FakeServer(TempDirectory directory, string path, Socket listener, Task serving)
        {
            _directory = directory;
            Path = path;
            _listener = listener;
            _serving = serving;
        }

        public string Path { get; }

        public static Task<FakeServer> StartAsync(string? answer)
        {
            var directory = new TempDirectory();
            string path = System.IO.Path.Combine(directory.Path, "fake.sock");
            Socket listener = ReclaimDiagnosticServerTests.Listen(path);
            Task serving = Task.Run(async () =>
            {
                using Socket client = await listener.AcceptAsync();
                byte[] buffer = new byte[1024];
                await client.ReceiveAsync(buffer);
                if (answer is null)
                {
                    await Task.Delay(Threaded.Timeout);
                }
                else if (answer.Length > 0)
                {
                    await client.SendAsync(Encoding.UTF8.GetBytes(answer));
                    await Task.Delay(Threaded.Timeout);
                }
            });
            return Task.FromResult(new FakeServer(directory, path, listener, serving));
        }

        public ValueTask DisposeAsync()
        {
            _listener.Dispose();
            _directory.Dispose();
            _ = _serving;
            return ValueTask.CompletedTask;
        }
    }
}
