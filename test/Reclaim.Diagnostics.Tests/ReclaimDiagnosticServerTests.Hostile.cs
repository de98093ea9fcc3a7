using System.Text.Json;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// Clients that misbehave: garbage, invalid UTF-8, a line too long, nothing at all, a line trickled past the timeout, a
/// disconnect mid-request, and twenty at once. The server answers or closes cleanly, logs no failure, and keeps
/// serving everyone else.
/// </summary>
public partial class ReclaimDiagnosticServerTests
{
    private static readonly TimeSpan s_shortTimeout = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Garbage_BadRequestAndTheSameConnectionGoesOn()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        Assert.Equal("bad_request", Answers.Error(await raw.AskAsync("\u0001\u0002 not json at all }}}")));
        await raw.SendAsync([0xFF, 0xFE, 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D, 0x0A]); // invalid UTF-8
        string? invalidUtf8 = await raw.ReadLineAsync();
        Assert.Equal("bad_request", Answers.Error(JsonDocument.Parse(invalidUtf8!).RootElement));
        Assert.Equal("bad_request", Answers.Error(await raw.AskAsync("")));
        Assert.Equal("bad_request", Answers.Error(await raw.AskAsync(new string('[', 5000))));

        Assert.Equal(["0 7 0"], Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"count","shrinker":"plain-0"}""")).GetProperty("lines").EnumerateArray().Select(l => l.GetString()));
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task Pipelined_SeveralRequestsInOneWrite_AnsweredInOrder()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        await raw.SendAsync("{\"v\":1,\"cmd\":\"version\"}\r\nnope\n{\"v\":1,\"cmd\":\"count\",\"shrinker\":\"numa-1\"}\n");

        Answers.Ok(JsonDocument.Parse((await raw.ReadLineAsync())!).RootElement);
        Assert.Equal("bad_request", Answers.Error(JsonDocument.Parse((await raw.ReadLineAsync())!).RootElement));
        Assert.Equal("numa-1", Answers.Ok(JsonDocument.Parse((await raw.ReadLineAsync())!).RootElement).GetProperty("shrinker").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LineTooLong_BadRequestThenClosedCleanly_OthersServed(bool withNewline)
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.MaxRequestBytes = 1024);
        using RawConnection other = await harness.ConnectRawAsync();
        using RawConnection raw = await harness.ConnectRawAsync();

        await raw.SendAsync(new string('x', 5000) + (withNewline ? "\n" : string.Empty));

        string? line = await raw.ReadLineAsync();
        Assert.NotNull(line);
        var answer = JsonDocument.Parse(line).RootElement;
        Assert.Equal("bad_request", Answers.Error(answer));
        Assert.Contains("longer than 1024 bytes", answer.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(await raw.ClosedByServerAsync(), "the connection was not closed after the over-long line");
        Answers.Ok(await other.AskAsync("""{"v":1,"cmd":"list"}"""));
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task LineOfExactlyTheLimit_Answered()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.MaxRequestBytes = 256);
        using RawConnection raw = await harness.ConnectRawAsync();
        string request = """{"v":1,"cmd":"version"}""";

        Answers.Ok(await raw.AskAsync(request + new string(' ', 256 - request.Length)));
    }

    [Fact]
    public async Task Nothing_TimeoutThenClosed_OthersServed()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.RequestTimeout = s_shortTimeout);
        using RawConnection silent = await harness.ConnectRawAsync();

        string? line = await silent.ReadLineAsync();

        Assert.NotNull(line);
        Assert.Equal("timeout", Answers.Error(JsonDocument.Parse(line).RootElement));
        Assert.True(await silent.ClosedByServerAsync());
        using RawConnection other = await harness.ConnectRawAsync();
        Answers.Ok(await other.AskAsync("""{"v":1,"cmd":"version"}"""));
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task Trickle_LinePastTheTimeout_TimeoutThenClosed()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.RequestTimeout = s_shortTimeout);
        using RawConnection slow = await harness.ConnectRawAsync();
        var timer = System.Diagnostics.Stopwatch.StartNew();

        Task trickle = Task.Run(async () =>
        {
            try
            {
                foreach (char c in """{"v":1,"cmd":"version"}""")
                {
                    await slow.SendAsync(c.ToString());
                    await Task.Delay(50, TestContext.Current.CancellationToken);
                }
            }
            catch (IOException)
            {
                // The server closed the connection under us: what the test expects.
            }
        }, TestContext.Current.CancellationToken);
        string? line = await slow.ReadLineAsync();

        Assert.Equal("timeout", Answers.Error(JsonDocument.Parse(line!).RootElement));
        Assert.InRange(timer.Elapsed, s_shortTimeout * 0.9, Threaded.Timeout);
        await Threaded.Within(trickle, "the trickling client");
    }

    [Fact]
    public async Task DisconnectMidRequest_NothingLogged_OthersServed()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        for (int i = 0; i < 5; i++)
        {
            using RawConnection gone = await harness.ConnectRawAsync();
            await gone.SendAsync("""{"v":1,"cmd":"scan","shrinker":"pl""");
        }

        using RawConnection other = await harness.ConnectRawAsync();
        Answers.Ok(await other.AskAsync("""{"v":1,"cmd":"version"}"""));
        Assert.Empty(process.Scans);
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task DisconnectBeforeTheAnswer_ServerGoesOn()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using (RawConnection gone = await harness.ConnectRawAsync())
        {
            await gone.SendAsync("{\"v\":1,\"cmd\":\"list\"}\n{\"v\":1,\"cmd\":\"groups\"}\n");
        }

        using RawConnection other = await harness.ConnectRawAsync();
        Answers.Ok(await other.AskAsync("""{"v":1,"cmd":"version"}"""));
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task TwentyClients_AtOnce_EveryRequestAnswered()
    {
        const int Clients = 20;
        const int RequestsEach = 25;
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long answered = 0;

        Task[] clients = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
            await go.Task;
            CancellationToken ct = TestContext.Current.CancellationToken;
            for (int r = 0; r < RequestsEach; r++)
            {
                switch ((i + r) % 5)
                {
                    case 0:
                        Assert.Equal(5, (await client.ListAsync(ct)).Shrinkers.Count);
                        break;
                    case 1:
                        Assert.Equal(["0 5 9"], (await client.CountAsync("numa-1", ct)).Lines);
                        break;
                    case 2:
                        Assert.Equal(2, (await client.ScanAsync("memcg-2", 2, 1, 4, ct)).Freed);
                        break;
                    case 3:
                        Assert.Equal(3, (await client.GetGroupsAsync(ct)).Groups.Count);
                        break;
                    default:
                        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.CountAsync("missing-9", ct));
                        Assert.Equal(DiagnosticErrorCode.NotFound, error.Code);
                        break;
                }

                Interlocked.Increment(ref answered);
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        go.SetResult();

        await Threaded.Within(Task.WhenAll(clients), "twenty clients");
        Assert.Equal(Clients * RequestsEach, answered);
        Assert.Equal(Clients * RequestsEach / 5, process.Scans.Count);
        AssertNoFailureLogged(harness);
    }

    [Fact]
    public async Task LogCallbackThrows_ServerGoesOn()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o =>
        {
            o.Log = _ => throw new InvalidOperationException("log broken");
            o.RequestTimeout = s_shortTimeout;
        });
        using RawConnection silent = await harness.ConnectRawAsync();
        Assert.Equal("timeout", Answers.Error(JsonDocument.Parse((await silent.ReadLineAsync())!).RootElement));

        using RawConnection other = await harness.ConnectRawAsync();
        Answers.Ok(await other.AskAsync("""{"v":1,"cmd":"set-group","group":2,"limit":"high","bytes":10}"""));
    }

    private static void AssertNoFailureLogged(ServerHarness harness) =>
        Assert.DoesNotContain(harness.Log, l => l.Contains("failed", StringComparison.Ordinal));
}
