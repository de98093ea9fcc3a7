using Reclaim.PressureBench;

namespace Reclaim.EndToEnd.Tests;

/// <summary>
/// The workload's peers (<c>--cache</c>, for the pressure benchmark) and the combinations it refuses: a reclaimer beside a
/// cache with no shrinker, a size limit for a cache that takes none, a sized cache without one.
/// </summary>
public sealed class WorkloadOptionsTests
{
    [Theory]
    [InlineData("--cache", "memorycache", "--reclaim", "on")]
    [InlineData("--cache", "runtime-caching", "--reclaim", "on")]
    [InlineData("--cache", "memorycache-sized", "--size-limit", "1000000", "--reclaim", "on")]
    [InlineData("--cache", "memorycache-sized")]
    [InlineData("--cache", "shrinkable", "--size-limit", "1000000")]
    [InlineData("--cache", "nosuch")]
    public async Task Workload_BadPeerOptions_ExitsWithUsage(params string[] arguments)
    {
        WorkloadResult result = await WorkloadProcess.RunWorkloadAsync(
            ["--seconds", "1", .. arguments], new Dictionary<string, string?>(), TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, $"Expected exit code 2 (bad arguments).\n{result.Describe()}");
        Assert.Null(result.Start);
        Assert.Contains(result.Stderr, l => l.StartsWith("usage:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("memorycache", "off")]
    [InlineData("runtime-caching", "off")]
    [InlineData("memorycache-sized", "off")]
    [InlineData("shrinkable", "on")]
    [InlineData("memorycache-shrinker", "on")]
    public async Task Workload_EachPeer_RunsAndSaysWhichItIs(string cache, string reclaim)
    {
        string[] size = cache == "memorycache-sized" ? ["--size-limit", "50000000"] : [];
        WorkloadResult result = await WorkloadProcess.RunWorkloadAsync(
            ["--seconds", "1", "--cache", cache, "--keys", "20000", .. size],
            new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = WorkloadProcess.Hex(512L << 20), ["DOTNET_gcServer"] = "0" },
            TimeSpan.FromSeconds(40));

        Assert.True(result.ExitCode == 0 && result.Survived, $"The {cache} peer did not run to its end.\n{result.Describe()}");
        Assert.Equal(cache, result.Start!.Get("cache"));
        Assert.Equal(reclaim, result.Start.Get("reclaim"));
        WorkloadLine summary = result.Summary!;
        Assert.True(summary.RequiredDouble("hit_rate") > 0, $"No hits from {cache}.\n{result.Describe()}");
        Assert.Equal(0, summary.RequiredLong("corrupt"));
        Assert.True(summary.Has("above_direct_s") && summary.Has("limit_in_force"), $"The summary lacks the benchmark's fields.\n{result.Describe()}");
        Assert.Contains(result.Samples, s => s.Has("window_peak"));
    }
}
