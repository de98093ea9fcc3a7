using System.Text.Json;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>Every error code on the wire, the read-only mode, and the connection limit.</summary>
public partial class ReclaimDiagnosticServerTests
{
    [Theory]
    [InlineData("hello", "bad_request")]
    [InlineData("""{"v":1}""", "bad_request")]
    [InlineData("""{"v":1,"cmd":"frobnicate"}""", "bad_request")]
    [InlineData("""{"v":1,"cmd":"count"}""", "bad_request")]
    [InlineData("""{"v":1,"cmd":"list","shrinker":"plain-0"}""", "bad_request")]
    [InlineData("""{"v":2,"cmd":"list"}""", "unsupported_version")]
    [InlineData("""{"v":1,"cmd":"count","shrinker":"nope-1"}""", "not_found")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"plain-0","group":0,"node":0,"nr_to_scan":-1}""", "invalid_argument")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"plain-0","group":3,"node":0,"nr_to_scan":1}""", "invalid_argument")]
    public async Task Request_Wrong_ErrorCodeAndConnectionKept(string line, string code)
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        Assert.Equal(code, Answers.Error(await raw.AskAsync(line)));
        Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"version"}"""));
        Assert.Empty(process.Scans);
    }

    [Fact]
    public async Task Count_LongNameOfSurrogatePairs_NotFoundQuotingItCutWhole()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        string name = "a" + string.Concat(Enumerable.Repeat("😀", 40)) + "-1"; // the 64th character is a high surrogate

        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.CountAsync(name, TestContext.Current.CancellationToken));

        Assert.Equal(DiagnosticErrorCode.NotFound, error.Code);
        Assert.Contains("'a" + string.Concat(Enumerable.Repeat("😀", 31)) + "...'", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, (await client.ListAsync(TestContext.Current.CancellationToken)).Shrinkers.Count);
    }

    [Fact]
    public async Task ReadOnly_ChangingCommandsRefused_ReadingCommandsAnswered()
    {
        using var process = new TestProcess();
        long high = process.A.High;
        await using var harness = ServerHarness.Start(process.Registry, o => o.ReadOnly = true);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        var scan = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.ScanAsync("plain-0", 0, 0, 1, ct));
        var drop = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.DropCachesAsync(ct));
        var set = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.SetGroupAsync(2, GroupLimitKind.High, 10, ct));

        Assert.All(new[] { scan, drop, set }, e => Assert.Equal(DiagnosticErrorCode.ReadOnly, e.Code));
        Assert.Empty(process.Scans);
        Assert.Equal(high, process.A.High);
        Assert.True((await client.GetVersionAsync(ct)).ReadOnly);
        Assert.Equal(5, (await client.ListAsync(ct)).Shrinkers.Count);
        Assert.Equal(["0 7 0"], (await client.CountAsync("plain-0", ct)).Lines);
        Assert.Equal(3, (await client.GetGroupsAsync(ct)).Groups.Count);
        Assert.Equal(5, (await client.StatAsync(ct)).Shrinkers);
    }

    [Fact]
    public async Task ReadOnly_EvenAMalformedChangeIsABadRequestFirst()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.ReadOnly = true);
        using RawConnection raw = await harness.ConnectRawAsync();

        Assert.Equal("bad_request", Answers.Error(await raw.AskAsync("""{"v":1,"cmd":"scan","shrinker":"plain-0"}""")));
        Assert.Equal("read_only", Answers.Error(await raw.AskAsync("""{"v":1,"cmd":"drop-caches"}""")));
    }

    [Fact]
    public async Task Connections_OneAboveTheLimit_BusyThenClosedOthersServed()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, o => o.MaxConnections = 2);
        using RawConnection first = await harness.ConnectRawAsync();
        using RawConnection second = await harness.ConnectRawAsync();
        Answers.Ok(await first.AskAsync("""{"v":1,"cmd":"version"}"""));
        Answers.Ok(await second.AskAsync("""{"v":1,"cmd":"version"}"""));

        using (RawConnection third = await harness.ConnectRawAsync())
        {
            string? line = await third.ReadLineAsync();
            Assert.NotNull(line);
            Assert.Equal("busy", Answers.Error(JsonDocument.Parse(line).RootElement));
            Assert.True(await third.ClosedByServerAsync());
        }

        Answers.Ok(await first.AskAsync("""{"v":1,"cmd":"list"}"""));
        first.Dispose();
        Assert.True(SpinWait.SpinUntil(() => TryVersion(harness), Threaded.Timeout), "a connection was not taken again after one closed");
    }

    [Fact]
    public void Handle_CommandFailsUnexpectedly_InternalAnsweredAndLogged()
    {
        using var process = new TestProcess();
        var log = new List<string>();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        var handler = new Internal.CommandHandler(process.Registry, null, null, readOnly: false, TimeProvider.System, log.Add)
        {
            Stopping = stopped.Token,
        };

        byte[] answer = handler.Handle("""{"v":1,"cmd":"drop-caches"}"""u8);

        JsonElement json = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("internal", Answers.Error(json));
        Assert.Equal((byte)'\n', answer[^1]);
        Assert.Contains("OperationCanceledException", Assert.Single(log), StringComparison.Ordinal);
    }

    private static bool TryVersion(ServerHarness harness)
    {
        try
        {
            using RawConnection raw = harness.ConnectRawAsync().GetAwaiter().GetResult();
            raw.SendAsync("{\"v\":1,\"cmd\":\"version\"}\n").GetAwaiter().GetResult();
            string? line = raw.ReadLineAsync().GetAwaiter().GetResult();
            return line is not null && JsonDocument.Parse(line).RootElement.GetProperty("ok").GetBoolean();
        }
        catch (IOException)
        {
            return false;
        }
    }
}
