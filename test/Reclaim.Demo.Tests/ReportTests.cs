using Spectre.Console;
using Spectre.Console.Testing;

namespace Reclaim.Demo.Tests;

/// <summary>What the parent makes of the workload's reports: the JSON lines, the outcome, the summary and both views.</summary>
public sealed class ReportTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Json_EveryReport_RoundTripsThroughOneLine()
    {
        WorkerReport[] reports = [Start(), Snapshot(2.5, final: false), new FailureReport(1.3, "OutOfMemoryException", "out", 498 * MiB, 470 * MiB, 512 * MiB)];

        foreach (WorkerReport report in reports)
        {
            string line = DemoJson.Write(report);
            Assert.DoesNotContain('\n', line);
            WorkerReport? back = DemoJson.TryRead(line);
            Assert.NotNull(back);
            Assert.Equal(report.GetType(), back.GetType());
            Assert.Equal(line, DemoJson.Write(back));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("warning: a client thread did not stop within 10 s")]
    [InlineData("{not json")]
    [InlineData("{\"type\":\"unknown\"}")]
    public void Json_OtherOutput_IsNotAReport(string line) => Assert.Null(DemoJson.TryRead(line));

    [Fact]
    public void Summary_Survived_SaysSoWithEveryNumber()
    {
        RunState state = State(new DemoOptions(), Start(), Snapshot(30.02, final: true));

        IReadOnlyList<string> lines = Summary.Lines(state, state.Classify(0, []), 0, []);

        Assert.Equal("Survived: the workload ran 30.0 s under its 512.0 MiB limit (GC heap hard limit).", lines[0]);
        Assert.Contains("  memory     peak 400.0 MiB live, 78.1 % of the limit (after full collections); the collector committed at most 500.0 MiB (97.7 %)", lines);
        Assert.Contains("  requests   3,000,000 in 30.0 s: 99,933/s; 0 wrong values", lines);
        Assert.Contains("  tenant-a   60.0 % of requests, budget 64.0 MiB: hit rate 40.0 %, 1,000 entries (8.0 MiB) kept, 5,000 reclaimed", lines);
        Assert.Contains("  tenant-b   40.0 % of requests: hit rate 20.0 %, 1,000 entries (8.0 MiB) kept, 5,000 reclaimed", lines);
        Assert.Contains("  reclaim    12 background runs took 1.50 s in all (5.0 % of the run) and freed 1.0 GiB; 2 induced collections", lines);
        Assert.Contains("  GC         gen0 100, gen1 50, gen2 10; paused 3.0 s (10.0 % of the run)", lines);
        Assert.DoesNotContain(lines, l => l.Contains("as of the last snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public void Summary_OutOfMemoryWithoutReclaim_NamesTheDeathAndTheCure()
    {
        RunState state = State(new DemoOptions { Reclaim = false }, Start(), Snapshot(1.26, final: false),
            new FailureReport(1.31, "OutOfMemoryException", "Exception of type 'System.OutOfMemoryException' was thrown.", 498 * MiB, 470 * MiB, 512 * MiB));

        Outcome outcome = state.Classify(3, []);
        IReadOnlyList<string> lines = Summary.Lines(state, outcome, 3, []);

        Assert.Equal(Outcome.OutOfMemory, outcome);
        Assert.Equal("Died: the workload died of OutOfMemoryException after 1.3 s at 498.0 MiB of its 512.0 MiB limit.", lines[0]);
        Assert.Contains(lines, l => l.Contains("Run without --no-reclaim", StringComparison.Ordinal));
        Assert.Contains("  as of the last snapshot, at 1.3 s:", lines);
        Assert.Contains("  reclaim    off (--no-reclaim): no reclaimer ran", lines);
    }

    [Fact]
    public void Classify_ExitCodesWithoutAFailureReport()
    {
        RunState killed = State(new DemoOptions { Cgroup = true }, Start(), Snapshot(3, final: false));
        killed.CgroupEnd = (510 * MiB, 1);
        RunState crashed = State(new DemoOptions(), Start(), Snapshot(3, final: false));

        Assert.Equal(Outcome.KilledByOomKiller, killed.Classify(137, []));
        Assert.Equal(Outcome.OutOfMemory, crashed.Classify(134, ["Out of memory."]));
        Assert.Equal(Outcome.Crashed, crashed.Classify(134, ["Segmentation fault"]));
        Assert.Equal(Outcome.Crashed, crashed.Classify(0, [])); // exited without its final snapshot
        Assert.StartsWith("Died: the kernel's OOM killer killed the workload (SIGKILL)", Summary.Verdict(killed, Outcome.KilledByOomKiller, 137), StringComparison.Ordinal);
        Assert.Equal("Failed: the workload exited with code 134 after about 3.0 s.", Summary.Verdict(crashed, Outcome.Crashed, 134));
    }

    [Fact]
    public void Summary_Crash_ShowsTheWorkloadsLastOutput()
    {
        RunState state = State(new DemoOptions(), Start(), Snapshot(3, final: false));

        IReadOnlyList<string> lines = Summary.Lines(state, Outcome.Crashed, 134, ["Segmentation fault"]);

        Assert.Contains("  | Segmentation fault", lines);
    }

    [Fact]
    public void RequestsPerSecond_IsOverAboutTheLastSecond()
    {
        var state = new RunState(new DemoOptions(), "GC heap hard limit");
        state.Apply(Start());
        for (int i = 1; i <= 8; i++)
        {
            // 1,000 requests a second for 1 s, then 3,000 a second.
            state.Apply(Snapshot(i * 0.25, final: false) with { Requests = i <= 4 ? i * 250 : 1000 + ((i - 4) * 750) });
        }

        Assert.Equal(3000, state.RequestsPerSecond, 3);
    }

    [Fact]
    public void Bar_MarksTheWatermarksAndFillsToTheUsage()
    {
        string bar = LiveView.Bar(usage: 50, limit: 100, new WatermarkFractions(0.7, 0.8, 0.9), width: 10);
        var console = new TestConsole();
        console.Write(new Markup(bar));
        string plain = console.Output;

        Assert.Equal("[#####..|||]", plain);
        Assert.Contains("[green]", bar, StringComparison.Ordinal);
        Assert.Contains("[red]", LiveView.Bar(95, 100, new WatermarkFractions(0.7, 0.8, 0.9), 10), StringComparison.Ordinal);
        Assert.Contains("[yellow]", LiveView.Bar(85, 100, new WatermarkFractions(0.7, 0.8, 0.9), 10), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LiveView_Renders_WithEveryCacheAndTheWatchCommand(bool reclaim)
    {
        RunState state = State(new DemoOptions { Reclaim = reclaim }, Start(reclaim), Snapshot(12.5, final: false));
        var console = new TestConsole().Width(160);

        console.Write(LiveView.Render(new RunState(new DemoOptions(), "GC heap hard limit"))); // before the first report
        console.Write(LiveView.Render(state));

        Assert.Contains("starting the workload", console.Output, StringComparison.Ordinal);
        Assert.Contains("dotnet-reclaim top -p 4242", console.Output, StringComparison.Ordinal);
        foreach (string cache in new[] { "tenant-a", "tenant-b", "catalog", "buffers" })
        {
            Assert.Contains(cache, console.Output, StringComparison.Ordinal);
        }

        Assert.Contains(reclaim ? "12 background runs" : "reclaim  off", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainView_Line_SaysTheEssentials()
    {
        RunState state = State(new DemoOptions(), Start(), Snapshot(3, final: false));

        string line = PlainView.Line(state, state.Latest!);

        Assert.Equal("  3.0 s  memory 256.0 MiB of 512.0 MiB (50.0 %), level Moderate  0 requests/s  tenants' hit rate 30.0 %  reclaim runs 12, 20,000 objects reclaimed", line);
    }

    [Theory]
    [InlineData("/usr/share/dotnet/dotnet", "/app/Reclaim.Demo.dll", "/usr/share/dotnet/dotnet", "/app/Reclaim.Demo.dll")]
    [InlineData("/app/Reclaim.Demo", "/app/Reclaim.Demo.dll", "/app/Reclaim.Demo", null)]
    [InlineData("/opt/dotnet/dotnet.exe", "/app/Reclaim.Demo.dll", "/opt/dotnet/dotnet.exe", "/app/Reclaim.Demo.dll")]
    [InlineData("/app/Reclaim.Demo", "", "/app/Reclaim.Demo", null)]
    public void ChildCommand_RunsThisProgramAgain(string processPath, string entryAssembly, string fileName, string? dll)
    {
        ChildCommand? command = ChildCommand.Resolve(processPath, entryAssembly, out string? error);

        Assert.Null(error);
        Assert.NotNull(command);
        Assert.Equal(fileName, command.FileName);
        Assert.Equal(dll is null ? [] : [dll], command.Prefix);
        Assert.Equal([fileName, .. command.Prefix, "--worker"], command.With(["--worker"]));
    }

    [Fact]
    public void ChildCommand_WithoutAnAssemblyUnderTheHost_SaysWhy()
    {
        Assert.Null(ChildCommand.Resolve("/usr/bin/dotnet", "", out string? error));
        Assert.Contains("location is unknown", error, StringComparison.Ordinal);
        Assert.Null(ChildCommand.Resolve(null, "/app/Reclaim.Demo.dll", out error));
        Assert.NotNull(error);
    }

    private static RunState State(DemoOptions options, params WorkerReport[] reports)
    {
        var state = new RunState(options, "GC heap hard limit");
        foreach (WorkerReport report in reports)
        {
            state.Apply(report);
        }

        return state;
    }

    private static StartReport Start(bool reclaim = true) => new(
        4242,
        "/tmp/reclaim-4242-1-socket",
        512 * MiB,
        "GC heap hard limit",
        reclaim ? new WatermarkFractions(0.7, 0.8, 0.9) : null,
        ["gen2-gc"],
        [new TenantInfo("tenant-a", 0.6), new TenantInfo("tenant-b", 0.4)],
        2,
        30);

    private static Snapshot Snapshot(double seconds, bool final) => new(
        seconds,
        final,
        new MemoryReading(256 * MiB, 512 * MiB, 300 * MiB, 400 * MiB, 450 * MiB, 500 * MiB, 100 * MiB, "Moderate"),
        3_000_000,
        0,
        [new CacheReading("tenant-a", 1000, 8 * MiB, 400, 600, 5000, 0, 64 * MiB), new CacheReading("tenant-b", 1000, 8 * MiB, 200, 800, 5000, 0, null)],
        new CacheReading("catalog", 500, null, 50, 50, 700, 0, null),
        new PoolReading(3, 3 * 16 * 1024, 10),
        new ReclaimReading(12, 1500, 1024 * MiB, 2, 20_000, 2000, new LastRunReading("sampling", 64 * MiB, 8000, 12.5, seconds - 0.5)),
        new GcReading(100, 50, 10, 3000));
}
