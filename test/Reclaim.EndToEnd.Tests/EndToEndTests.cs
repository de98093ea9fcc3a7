using System.Globalization;
using Reclaim.PressureBench;
using Reclaim.Samples;

// Each test runs a workload that keeps both cores busy: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Reclaim.EndToEnd.Tests;

/// <summary>
/// Survival under a real memory limit (issue 5, section 5): the workload's cache has no size limit and a working set
/// many times the limit; without a reclaimer it must die, with one it must live, under a GC heap hard limit, a heap
/// hard limit lowered at run time, and a cgroup memory limit (v1 or v2).
/// </summary>
public sealed class EndToEndTests
{
    private const long MiB = 1024 * 1024;

    // The heap hard limit of the survival tests. Measured with this workload (2 writers, ~400 MB/s of cache inserts):
    // 8 of 8 runs survived at 384 MiB; at 256 MiB 20 of 21 (the GC needs room of its own beside the cache at that
    // size, and that rate keeps it paused ~75 % of the time); see bench/results/reclaimer-watermarks.md.
    private const long Limit = 384 * MiB;

    /// <summary>The child's own run time plus this is the most a test waits before killing it.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Workload_WithoutReclaimer_DiesUnderHeapHardLimit()
    {
        WorkloadResult result = await RunUnderHeapHardLimitAsync(Limit, 10, "--reclaim", "off");

        AssertDied(result);
    }

    [Fact]
    public async Task Workload_WithReclaimer_SurvivesUnderHeapHardLimit()
    {
        WorkloadResult result = await RunUnderHeapHardLimitAsync(Limit, 8, "--reclaim", "on", "--log-runs");

        WorkloadLine summary = AssertSurvived(result);
        Assert.True(summary.RequiredLong("limit") == Limit, $"The reclaimer's limit is {summary.Get("limit")}, not the heap hard limit {Limit}.\n{result.Describe()}");
        AssertLivedWell(result, summary, Limit);
    }

    [Fact]
    public async Task Workload_LimitLoweredMidRun_FollowsItDown()
    {
        const long Start = 768 * MiB;
        const long Lowered = Limit;
        const double LowerAt = 4;
        WorkloadResult result = await RunUnderHeapHardLimitAsync(Start, 10, "--reclaim", "on", "--log-runs",
            "--lower-limit-at", LowerAt.ToString(CultureInfo.InvariantCulture), "--lower-limit-to", Lowered.ToString(CultureInfo.InvariantCulture));

        WorkloadLine summary = AssertSurvived(result);
        WorkloadLine? lowered = result.Lines.FirstOrDefault(l => l.Kind == "limit_lowered");
        Assert.True(lowered is not null, $"The workload never lowered its limit (no limit_lowered line).\n{result.Describe()}");
        Assert.True(lowered.RequiredLong("total_available") == Lowered,
            $"After GC.RefreshMemoryLimit the runtime's limit is {lowered.Get("total_available")}, not {Lowered}.\n{result.Describe()}");
        Assert.True(lowered.RequiredLong("reclaimer_limit") == Lowered,
            $"After RefreshLimit the reclaimer's limit is {lowered.Get("reclaimer_limit")}, not {Lowered}.\n{result.Describe()}");

        // After the change and a settling second, the cache fits under the new limit in every sample (it held about
        // 70 % of the first limit, far more than the new one, before the change). The cache's bytes, not the heap
        // reading: that counts garbage not yet collected and may read above a limit the GC itself never crosses.
        double settled = lowered.RequiredDouble("t") + 1;
        WorkloadLine[] after = [.. result.Samples.Where(s => s.RequiredDouble("t") >= settled)];
        Assert.True(after.Length >= 4, $"Only {after.Length} samples after t={settled:F2}.\n{result.Describe()}");
        WorkloadLine[] over = [.. after.Where(s => s.RequiredLong("bytes") >= Lowered)];
        Assert.True(over.Length == 0,
            $"{over.Length} of {after.Length} samples after t={settled:F2} are at or above the new limit {Lowered}:\n" +
            $"{string.Join('\n', over.Take(10))}\n{result.Describe()}");
        Assert.True(after.All(s => s.RequiredLong("limit") == Lowered), $"The sampled limit is not the new one after t={settled:F2}.\n{result.Describe()}");

        // The whole run's peak includes the time before the change: it is held to the first limit.
        AssertLivedWell(result, summary, Start);
    }

    [Fact]
    public async Task Workload_WithReclaimer_SurvivesUnderCgroupLimit()
    {
        (WorkloadResult result, CgroupSandbox sandbox, CgroupEnd end) = await RunUnderCgroupLimitAsync(768 * MiB, 8, "--reclaim", "on", "--log-runs");
        string counters = end.Counters;

        WorkloadLine summary = AssertSurvived(result, counters);
        long heapLimit = AssertHeapLimitFromCgroup(result, sandbox, counters);
        string details = counters + "\n" + result.Describe();
        Assert.True(summary.RequiredLong("limit") == heapLimit,
            $"The reclaimer's limit is {summary.Get("limit")} ({summary.Get("limit_source")}), not the heap limit {heapLimit} the runtime derived from the cgroup.\n{details}");
        Assert.True(summary.RequiredLong("runs") > 0, $"The reclaimer never ran.\n{details}");
        Assert.True(summary.RequiredDouble("hit_rate") > 0, $"The cache served no hits.\n{details}");
        Assert.True(summary.RequiredLong("corrupt") == 0, $"{summary.Get("corrupt")} hits returned another key's value.\n{details}");

        // The limit here is the cgroup's: what the kernel charged stayed under it, and nothing was OOM-killed.
        Assert.True(end.PeakBytes < sandbox.LimitBytes, $"The cgroup's peak usage reached its limit.\n{details}");
        Assert.True(end.OomKills is 0 or -1, $"The OOM killer killed in the cgroup.\n{details}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"managed heap peak (the reclaimer's measure) {summary.Get("peak_usage")} against the runtime's heap limit {heapLimit}; cgroup peak {end.PeakBytes} against {sandbox.LimitBytes}");
    }

    [Fact]
    public async Task Workload_WithoutReclaimer_DiesUnderCgroupLimit()
    {
        (WorkloadResult result, CgroupSandbox sandbox, CgroupEnd end) = await RunUnderCgroupLimitAsync(768 * MiB, 10, "--reclaim", "off");
        string counters = end.Counters;

        AssertHeapLimitFromCgroup(result, sandbox, counters);
        AssertDied(result, counters);
        Assert.True(result.ExitCode is WorkloadProcess.OutOfMemoryExitCode or WorkloadProcess.KilledExitCode,
            $"Expected an OutOfMemoryException (exit {WorkloadProcess.OutOfMemoryExitCode}) or the OOM killer (exit {WorkloadProcess.KilledExitCode}).\n{counters}\n{result.Describe()}");
    }

    private static Task<WorkloadResult> RunUnderHeapHardLimitAsync(long limit, double seconds, params string[] arguments) =>
        WorkloadProcess.RunWorkloadAsync(
            ["--seconds", seconds.ToString(CultureInfo.InvariantCulture), .. arguments],
            new Dictionary<string, string?>
            {
                ["DOTNET_GCHeapHardLimit"] = WorkloadProcess.Hex(limit),
                ["DOTNET_gcServer"] = "0",
            },
            TimeSpan.FromSeconds(seconds) + Slack);

    /// <summary>Runs the workload in a new cgroup with <paramref name="limit"/>, without a heap hard limit of its own; removes the cgroup after.</summary>
    private static async Task<(WorkloadResult Result, CgroupSandbox Sandbox, CgroupEnd End)> RunUnderCgroupLimitAsync(
        long limit, double seconds, params string[] arguments)
    {
        WorkloadProcess.EnsureWorkloadBuilt();
        CgroupSandbox sandbox = CreateCgroupOrSkip(limit);
        WorkloadResult result;
        CgroupEnd end;
        try
        {
            IReadOnlyList<string> command = sandbox.Wrap(
                [WorkloadProcess.DotnetHost, .. WorkloadProcess.WorkloadCommand(["--seconds", seconds.ToString(CultureInfo.InvariantCulture), .. arguments])]);
            result = await WorkloadProcess.RunAsync(
                command[0], [.. command.Skip(1)], new Dictionary<string, string?> { ["DOTNET_gcServer"] = "0" }, TimeSpan.FromSeconds(seconds) + Slack);
        }
        finally
        {
            end = CgroupEnd.Read(sandbox);
            TestContext.Current.TestOutputHelper?.WriteLine(end.Counters);
            bool removed = sandbox.TryRemove(TimeSpan.FromSeconds(10), out string? error);
            Assert.True(removed, $"Could not remove the cgroup {sandbox.Directory}: {error}");
        }

        return (result, sandbox, end);
    }

    /// <summary>A child memory cgroup with <paramref name="limit"/> under this process's own; skips the test when none can be made here.</summary>
    internal static CgroupSandbox CreateCgroupOrSkip(long limit)
    {
        CgroupSandbox? sandbox = CgroupSandbox.TryCreate(limit, "reclaim-e2e", out string? reason);
        if (sandbox is null)
        {
            Assert.Skip($"No memory cgroup for the test: {reason}.");
        }

        return sandbox;
    }

    /// <summary>
    /// The workload ran in the cgroup (its start line names it) and the runtime derived its heap hard limit from the
    /// cgroup's (75% of it by default): returns that heap limit.
    /// </summary>
    private static long AssertHeapLimitFromCgroup(WorkloadResult result, CgroupSandbox sandbox, string counters)
    {
        WorkloadLine? start = result.Start;
        Assert.True(start is not null, $"The workload did not start (no start line).\n{counters}\n{result.Describe()}");
        Assert.True(start.Required("cgroup").StartsWith(sandbox.Directory + "@", StringComparison.Ordinal),
            $"The workload did not run in the test's cgroup {sandbox.Directory} (its start line says {start.Get("cgroup")}).\n{counters}\n{result.Describe()}");
        long heapLimit = start.RequiredLong("heap_hard_limit");
        Assert.True(heapLimit > 0 && heapLimit < sandbox.LimitBytes,
            $"The runtime's heap hard limit is {heapLimit}: not derived from the cgroup's {sandbox.LimitBytes}.\n{counters}\n{result.Describe()}");
        return heapLimit;
    }

    /// <summary>
    /// The workload started, then died before its end: an OutOfMemoryException summary (exit code 3), or a crash without
    /// a summary (the runtime's fail-fast, the OOM killer's SIGKILL); not a failure to start (no start line, exit code 2).
    /// </summary>
    private static void AssertDied(WorkloadResult result, string? context = null)
    {
        string details = (context is null ? string.Empty : context + "\n") + result.Describe();
        Assert.False(result.TimedOut, $"The workload without a reclaimer neither died nor ended in time.\n{details}");
        Assert.True(result.Start is not null, $"The workload did not start (no start line), so it cannot have died of its working set.\n{details}");
        Assert.False(result.Survived, $"The workload without a reclaimer survived: its limit or its working set is too large for the test.\n{details}");
        Assert.True(result.ExitCode is not (null or 0 or 2), $"The workload without a reclaimer exited with {result.ExitCode}.\n{details}");
        if (result.Summary is { } summary)
        {
            Assert.True(summary.Get("reason") == nameof(OutOfMemoryException), $"The workload failed, but not for lack of memory.\n{details}");
            Assert.True(result.ExitCode == WorkloadProcess.OutOfMemoryExitCode, $"The workload reported an OOM but exited with {result.ExitCode}.\n{details}");
        }
    }

    private static WorkloadLine AssertSurvived(WorkloadResult result, string? context = null)
    {
        string details = (context is null ? string.Empty : context + "\n") + result.Describe();
        Assert.False(result.TimedOut, $"The workload did not end in time.\n{details}");
        Assert.True(result.Survived, $"The workload with the reclaimer did not survive.\n{details}");
        Assert.True(result.ExitCode == 0, $"The workload exited with {result.ExitCode}.\n{details}");
        return result.Summary!;
    }

    /// <summary>Survived and worked: usage stayed under the limit, reclaim ran, the cache served hits, no value was mixed up.</summary>
    private static void AssertLivedWell(WorkloadResult result, WorkloadLine summary, long limit, string? context = null)
    {
        string details = (context is null ? string.Empty : context + "\n") + result.Describe();
        // The heap after each collection (what the GC could not free) stays below the limit. Not peak_usage
        // (GC.GetTotalMemory): it counts garbage allocated since the last collection and reads above a hard limit
        // that committed memory never crosses.
        Assert.True(summary.RequiredLong("peak_heap_after_gc") < limit, $"The heap after a collection reached {summary.Get("peak_heap_after_gc")}, not below the limit {limit}.\n{details}");
        Assert.True(summary.RequiredLong("runs") > 0, $"The reclaimer never ran.\n{details}");
        Assert.True(summary.RequiredDouble("hit_rate") > 0, $"The cache served no hits.\n{details}");
        Assert.True(summary.RequiredLong("corrupt") == 0, $"{summary.Get("corrupt")} hits returned another key's value.\n{details}");
    }

    /// <summary>The cgroup's counters after the run (the child has exited), read before the cgroup is removed; -1 where unreadable.</summary>
    private sealed record CgroupEnd(long PeakBytes, long OomKills, string Counters)
    {
        public static CgroupEnd Read(CgroupSandbox sandbox)
        {
            long peak = sandbox.ReadPeak();
            long oomKills = sandbox.ReadOomKills();
            // memory.failcnt is v1's (how often usage hit the limit); v2 has none and reads -1.
            return new CgroupEnd(peak, oomKills, string.Create(CultureInfo.InvariantCulture,
                $"cgroup v{sandbox.Version} {sandbox.Directory}: limit={sandbox.LimitBytes} peak={peak} usage={sandbox.ReadUsage()} " +
                $"failcnt={sandbox.Read("memory.failcnt")} oom_kill={oomKills}"));
        }
    }
}
