using System.Text.Json;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Tests;

/// <summary>Every command against a real server over its socket, through the typed client.</summary>
public partial class ReclaimDiagnosticServerTests
{
    [Fact]
    public async Task Version_Answered_ProtocolPackageAndProcess()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        VersionResult version = await client.GetVersionAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, version.Protocol);
        Assert.Equal([1], version.Protocols);
        Assert.Equal(Environment.ProcessId, version.ProcessId);
        Assert.False(string.IsNullOrEmpty(version.ProcessName));
        Assert.StartsWith(".NET", version.Runtime, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(version.Package));
        Assert.False(version.ReadOnly);
    }

    [Fact]
    public async Task List_EveryShrinker_NameIdFlagsSeeksBatchStatistics()
    {
        using var process = new TestProcess();
        process.Registry.ShrinkSlab(0, null, 0);
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        ShrinkerListResult list = await client.ListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, list.NodeCount);
        Assert.Equal(["plain-0", "numa-1", "memcg-2", "faulty-3", "empty-4"], list.Shrinkers.Select(s => s.Shrinker));
        ShrinkerInfo memcg = list.Shrinkers[2];
        Assert.Equal("memcg", memcg.Name);
        Assert.Equal(2, memcg.Id);
        Assert.Equal(["node_aware", "group_aware"], memcg.Flags);
        Assert.Equal("registered", memcg.State);
        Assert.Equal(Shrinker.DefaultSeeks, memcg.Seeks);
        Assert.Equal(0, memcg.Batch);
        Assert.Empty(list.Shrinkers[0].Flags);

        ShrinkerStatistics expected = process.Plain.GetStatistics();
        ShrinkerStatisticsInfo plain = list.Shrinkers[0].Statistics;
        Assert.Equal(1, plain.Passes);
        Assert.Equal(expected.ObjectsFreed, plain.ObjectsFreed);
        Assert.Equal(7, plain.ObjectsFreed);
        Assert.Equal(expected.ObjectsScanned, plain.ObjectsScanned);
        Assert.Equal(1, list.Shrinkers[3].Statistics.CallbackErrors);
        Assert.Equal(0, plain.RunningCallbacks);
        Assert.Null(plain.RunningForMs);
    }

    [Fact]
    public async Task List_RawJson_SnakeCaseFields()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        JsonElement first = Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"list"}""")).GetProperty("shrinkers")[0];

        Assert.Equal("plain-0", first.GetProperty("shrinker").GetString());
        JsonElement statistics = first.GetProperty("statistics");
        foreach (string field in new[] { "passes", "objects_scanned", "objects_freed", "callback_errors", "contract_violations", "deferred", "time_in_callbacks_ms", "running_callbacks", "running_for_ms" })
        {
            Assert.True(statistics.TryGetProperty(field, out _), $"no '{field}' in {statistics.GetRawText()}");
        }
    }

    [Fact]
    public async Task Count_KernelFormat_OneLinePerGroupWithObjectsZeroTotalsAndOfflineGroupsLeftOut()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        ShrinkerCountResult memcg = await client.CountAsync("memcg-2", ct);
        ShrinkerCountResult plain = await client.CountAsync("plain-0", ct);
        ShrinkerCountResult numa = await client.CountAsync("numa-1", ct);
        ShrinkerCountResult empty = await client.CountAsync("empty-4", ct);

        // Group-aware: the root (id 1) and /a (id 2); /a/b has 0 objects, /c is offline.
        Assert.Equal(["1 2 0", "2 0 4"], memcg.Lines);
        Assert.Equal([1L, 2L], memcg.Groups.Select(g => g.Group));
        Assert.Equal([0L, 4L], memcg.Groups[1].Counts);
        Assert.Equal(4, memcg.Groups[1].Total);
        Assert.Equal(2, memcg.NodeCount);

        // Not group-aware: one line with group id 0; not node-aware: 0 on node 1.
        Assert.Equal(["0 7 0"], plain.Lines);
        Assert.Equal(["0 5 9"], numa.Lines);

        // Empty counts as 0, and a total of 0 prints nothing.
        Assert.Empty(empty.Lines);
        Assert.Empty(empty.Groups);
        Assert.Empty(process.Scans);
    }

    [Fact]
    public async Task Count_UnknownShrinker_NotFound()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.CountAsync("plain-9", TestContext.Current.CancellationToken));

        Assert.Equal(DiagnosticErrorCode.NotFound, error.Code);
        Assert.Contains("plain-9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DropCaches_EveryShrinkerEveryGroup_FreedReported()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        DropCachesResult result = await client.DropCachesAsync(TestContext.Current.CancellationToken);

        Assert.True(result.Freed >= 7, $"freed {result.Freed}");
        Assert.True(result.ElapsedMs >= 0);
        Assert.Contains(process.Scans, s => s.Shrinker == "plain-0");
        Assert.Contains(process.Scans, s => s.Shrinker == "memcg-2");
        Assert.Equal(0, process.Plain.DebugCount(0, null));
    }

    [Fact]
    public async Task DropCaches_WhileOneRuns_Busy()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedScan(registry);
        await using var harness = ServerHarness.Start(registry);
        await using ReclaimDiagnosticClient first = await harness.ConnectAsync();
        await using ReclaimDiagnosticClient second = await harness.ConnectAsync();

        Task<DropCachesResult> running = first.DropCachesAsync(TestContext.Current.CancellationToken);
        gated.WaitInside();
        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => second.DropCachesAsync(TestContext.Current.CancellationToken));
        gated.Release();

        Assert.Equal(DiagnosticErrorCode.Busy, error.Code);
        Assert.True((await running).Freed > 0);
        Assert.True((await second.DropCachesAsync(TestContext.Current.CancellationToken)).Freed >= 0, "free again once the first ended");
    }

    [Fact]
    public async Task Groups_TreeInPreOrder_IdsPathsDepthUsageAndLimits()
    {
        using var process = new TestProcess();
        process.A.Charge(300);
        process.B.Charge(100);
        process.A.Max = 1000;
        process.A.High = 800;
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        GroupListResult groups = await client.GetGroupsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["/", "/a", "/a/b"], groups.Groups.Select(g => g.Path));
        Assert.Equal([1L, 2L, 3L], groups.Groups.Select(g => g.Id));
        Assert.Equal([null, 1L, 2L], groups.Groups.Select(g => g.Parent));
        Assert.Equal([0, 1, 2], groups.Groups.Select(g => g.Depth));
        Assert.Equal([400L, 400L, 100L], groups.Groups.Select(g => g.Usage));
        Assert.Equal(800, groups.Groups[1].High);
        Assert.Equal(1000, groups.Groups[1].Max);
        Assert.Equal(MemoryGroup.Unlimited, groups.Groups[0].High);
        Assert.Equal(MemoryGroup.Unlimited, groups.Groups[2].Max);
    }

    [Fact]
    public async Task Groups_RawJson_UnlimitedIsMax()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        JsonElement root = Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"groups"}""")).GetProperty("groups")[0];

        Assert.Equal("max", root.GetProperty("high").GetString());
        Assert.Equal("max", root.GetProperty("max").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("parent").ValueKind);
    }

    [Fact]
    public async Task SetGroup_HighAndMax_SetAndReturned()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        GroupInfo afterMax = await client.SetGroupAsync(process.A.Id, GroupLimitKind.Max, 4096, ct);
        GroupInfo afterHigh = await client.SetGroupAsync(process.A.Id, GroupLimitKind.High, 2048, ct);

        Assert.Equal(4096, afterMax.Max);
        Assert.Equal(2048, afterHigh.High);
        Assert.Equal("/a", afterHigh.Path);
        Assert.Equal(2048, process.A.High);
        Assert.Equal(4096, process.A.Max);
        Assert.Contains(harness.Log, l => l.Contains("high set to 2048", StringComparison.Ordinal));

        GroupInfo reset = await client.SetGroupAsync(process.A.Id, GroupLimitKind.High, MemoryGroup.Unlimited, ct);
        Assert.Equal(MemoryGroup.Unlimited, reset.High);
        Assert.Equal(MemoryGroup.Unlimited, process.A.High);
    }

    [Fact]
    public async Task SetGroup_RawMaxString_Unlimited()
    {
        using var process = new TestProcess();
        process.A.Max = 100;
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        JsonElement result = Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"set-group","group":2,"limit":"max","bytes":"max"}"""));

        Assert.Equal("max", result.GetProperty("max").GetString());
        Assert.Equal(MemoryGroup.Unlimited, process.A.Max);
    }

    [Fact]
    public async Task SetGroup_HighAboveMaxOrUnknownGroup_InvalidArgumentOrNotFound()
    {
        using var process = new TestProcess();
        process.A.Max = 1000;
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        var aboveMax = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.SetGroupAsync(process.A.Id, GroupLimitKind.High, 2000, ct));
        var unknown = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.SetGroupAsync(99, GroupLimitKind.High, 2000, ct));
        var offline = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.SetGroupAsync(process.C.Id, GroupLimitKind.Max, 2000, ct));

        Assert.Equal(DiagnosticErrorCode.InvalidArgument, aboveMax.Code);
        Assert.Contains("must not be above its Max", aboveMax.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", aboveMax.Message, StringComparison.Ordinal);
        Assert.Equal(DiagnosticErrorCode.NotFound, unknown.Code);
        Assert.Equal(DiagnosticErrorCode.NotFound, offline.Code);
        Assert.Equal(MemoryGroup.Unlimited, process.A.High);
    }

    [Fact]
    public async Task Stat_WithoutReclaimer_ProcessAndRegistryOnly()
    {
        using var process = new TestProcess();
        process.A.Charge(123);
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        StatResult stat = await client.StatAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Environment.ProcessId, stat.ProcessId);
        Assert.Equal(2, stat.NodeCount);
        Assert.Equal(5, stat.Shrinkers);
        Assert.Equal(3, stat.Groups);
        Assert.Equal(123, stat.ChargedBytes);
        Assert.Null(stat.Reclaimer);
    }

    [Fact]
    public async Task Stat_WithReclaimer_LimitUsageWatermarksLevelAndRecentRuns()
    {
        using var process = new TestProcess();
        using var reclaimer = new Reclaimer(process.Registry, new ReclaimerOptions
        {
            MemoryLimitBytes = 1 << 20, // far below the test host's heap: every reading is above the start watermark
            SamplingInterval = TimeSpan.FromMilliseconds(10),
            InduceCollections = false,
            UseGen2CollectionSignal = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
        });
        await using var harness = ServerHarness.Start(process.Registry, o => o.RecentRunCount = 3, reclaimer);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        reclaimer.Start();
        Assert.True(SpinWait.SpinUntil(() => reclaimer.RunCount >= 4, Threaded.Timeout), "no background runs");
        reclaimer.Stop();

        StatResult stat = await client.StatAsync(TestContext.Current.CancellationToken);

        ReclaimerInfo info = Assert.IsType<ReclaimerInfo>(stat.Reclaimer);
        Assert.Equal(1 << 20, info.Limit.Bytes);
        Assert.Equal("explicit", info.Limit.Source);
        Assert.True(info.Usage.ManagedHeapBytes > 0);
        Assert.True(info.Usage.Bytes > 0);
        Assert.Equal(0.70, info.Watermarks.Target);
        Assert.Equal(0.80, info.Watermarks.Start);
        Assert.Equal(0.90, info.Watermarks.Direct);
        Assert.Equal((long)((1 << 20) * 0.8), info.Watermarks.StartBytes);
        Assert.Equal("critical", info.Level);
        Assert.True(info.RunCount >= 4);
        Assert.False(info.Running);

        // The ring keeps the last three runs, oldest first, each stamped when the server saw it.
        Assert.Equal(3, info.RecentRuns.Count);
        Assert.All(info.RecentRuns, run =>
        {
            Assert.NotNull(run.CompletedAt);
            Assert.Equal("critical", run.Level);
            Assert.Equal(1 << 20, run.LimitBytes);
            Assert.False(string.IsNullOrEmpty(run.Trigger));
        });
        Assert.True(info.RecentRuns[0].CompletedAt <= info.RecentRuns[2].CompletedAt);
    }

    /// <summary>A shrinker whose scan waits at a gate, so a drop-caches can be held while another request comes.</summary>
    private sealed class GatedScan : IDisposable
    {
        private readonly ManualResetEventSlim _inside = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Shrinker _shrinker;
        private long _objects = 10;

        public GatedScan(ShrinkerRegistry registry)
        {
            _shrinker = registry.Alloc("gated");
            _shrinker.CountObjects = (Shrinker _, ref ShrinkControl _) => Interlocked.Read(ref _objects);
            _shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                _inside.Set();
                _release.Wait(Threaded.Timeout);
                return Interlocked.Exchange(ref _objects, 0);
            };
            _shrinker.Register();
        }

        public void WaitInside() =>
            Assert.True(_inside.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "drop-caches never reached the scan");

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Set();
            _shrinker.Free();
            _inside.Dispose();
            _release.Dispose();
        }
    }
}
