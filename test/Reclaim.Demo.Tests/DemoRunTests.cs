// Each of these runs a workload that keeps both cores busy: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Reclaim.Demo.Tests;

/// <summary>
/// The demo as a user runs it, headless (<c>--no-live</c>): it survives its limit with the reclaimer, and without one
/// its workload dies and the demo says so, exit code and all, without crashing itself.
/// </summary>
public sealed class DemoRunTests
{
    /// <summary>Beyond the workload's own duration, the most a run may take (start-up on a busy 2-core machine included).</summary>
    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the surviving runs last. 5 s is enough alone on the machine (3 to 6 background runs, measured), but with
    /// both cores busy elsewhere (other test assemblies) the workload starts slowly and had not reached the start
    /// watermark by 5 s (0 runs, 2 of 2 tries); at 12 s it had (3 runs, 2 of 2).
    /// </summary>
    private const string SurvivalSeconds = "12";

    [Fact]
    public async Task Demo_WithReclaim_SurvivesUnderItsLimit()
    {
        DemoResult result = await DemoProcess.RunAsync(["--duration", SurvivalSeconds, "--no-live"], TimeSpan.FromSeconds(12) + s_slack);

        AssertSurvived(result);
        Assert.Contains(result.Stdout, l => l.StartsWith("Workload pid ", StringComparison.Ordinal) && l.Contains("dotnet-reclaim top -p ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_WithoutReclaim_ReportsTheWorkloadsDeath()
    {
        // 256 MiB and 30 s: the workload fills that in a second or two; the demo must not wait for the 30 s.
        DemoResult result = await DemoProcess.RunAsync(["--no-reclaim", "--limit", "256MiB", "--duration", "30", "--no-live"], TimeSpan.FromSeconds(30) + s_slack);

        string details = result.Describe();
        Assert.False(result.TimedOut, $"The demo did not end.\n{details}");
        Assert.True(result.ExitCode == 3, $"Expected exit code 3 (the workload died for lack of memory), got {result.ExitCode}.\n{details}");
        Assert.True(result.Verdict is { } v && v.StartsWith("Died: the workload died of OutOfMemoryException after ", StringComparison.Ordinal) &&
                    v.EndsWith(" of its 256.0 MiB limit.", StringComparison.Ordinal),
            $"No clear verdict of the workload's death.\n{details}");
        Assert.Contains(result.Stdout, l => l.Contains("Run without --no-reclaim", StringComparison.Ordinal));
        AssertNoCrashOfTheDemo(result);
    }

    [Fact]
    public async Task Demo_InACgroup_SurvivesUnderTheCgroupsLimit()
    {
        DemoResult result = await DemoProcess.RunAsync(["--cgroup", "--duration", SurvivalSeconds, "--no-live"], TimeSpan.FromSeconds(12) + s_slack);
        if (result.Stderr.FirstOrDefault(l => l.Contains("--cgroup:", StringComparison.Ordinal)) is { } fellBack)
        {
            Assert.Skip($"No child memory cgroup here: {fellBack}");
        }

        AssertSurvived(result);
        string? cgroup = result.SummaryLine("cgroup");
        Assert.True(cgroup is not null && cgroup.Contains("of 512.0 MiB; 0 OOM kills", StringComparison.Ordinal),
            $"No cgroup line with the limit and no OOM kill.\n{result.Describe()}");
        Assert.DoesNotContain(result.Stderr, l => l.Contains("could not remove the cgroup", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--tenants", "0", "--tenants must be a whole number from 1 to 26, not '0'")]
    [InlineData("--limit", "lots", "'lots' is not a size")]
    public async Task Demo_WithABadOption_ExitsWithOneLineAndCode2(string option, string value, string expected)
    {
        DemoResult result = await DemoProcess.RunAsync([option, value], s_slack);

        Assert.True(result.ExitCode == 2, $"Expected exit code 2.\n{result.Describe()}");
        string line = Assert.Single(result.Stderr);
        Assert.StartsWith("Reclaim.Demo: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    private static void AssertSurvived(DemoResult result)
    {
        string details = result.Describe();
        Assert.False(result.TimedOut, $"The demo did not end in time.\n{details}");
        Assert.True(result.ExitCode == 0, $"Expected exit code 0 (survived), got {result.ExitCode}.\n{details}");
        Assert.True(result.Verdict?.StartsWith("Survived: ", StringComparison.Ordinal) == true, $"The verdict is not survival.\n{details}");
        Assert.True(result.PeakLivePercent() < 100, $"Live data reached the limit.\n{details}");
        Assert.True(result.BackgroundRuns() > 0, $"The reclaimer never ran.\n{details}");
        IReadOnlyDictionary<string, double> rates = result.TenantHitRates();
        Assert.True(rates.Count == 4, $"Expected 4 tenants in the summary, found {rates.Count}.\n{details}");
        Assert.All(rates, r => Assert.True(r.Value > 0, $"{r.Key} served no hits.\n{details}"));
        Assert.Contains(result.Stdout, l => l.StartsWith("  requests ", StringComparison.Ordinal) && l.EndsWith("; 0 wrong values", StringComparison.Ordinal));
        AssertNoCrashOfTheDemo(result);
    }

    /// <summary>No unhandled exception or stack trace from the demo itself, whatever happened to its workload.</summary>
    private static void AssertNoCrashOfTheDemo(DemoResult result)
    {
        string[] all = [.. result.Stdout, .. result.Stderr];
        Assert.DoesNotContain(all, l => l.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(all, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains(" in ", StringComparison.Ordinal));
        Assert.DoesNotContain(all, l => l.TrimStart().StartsWith("at Reclaim.", StringComparison.Ordinal) || l.TrimStart().StartsWith("at System.", StringComparison.Ordinal));
    }
}
