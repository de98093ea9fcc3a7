namespace Reclaim.PressureBench.Tests;

/// <summary>The report on made-up runs: a row per peer, the best surviving SizeLimit, a reading of facts, the goals.</summary>
public sealed class ReportTests
{
    private const long MiB = 1 << 20;
    private const long Limit = 256 * MiB;

    private static RunOutcome Run(Peer peer, double? fraction, bool survived, double hitRate, double ops, long peak, double diedAt = double.NaN) => new()
    {
        Spec = new RunSpec(peer, Phase.Steady, fraction, fraction is { } f ? (long)(f * Limit) : null, 1),
        Limit = Limit,
        Survived = survived,
        DeathReason = survived ? null : "OutOfMemoryException",
        DiedAt = diedAt,
        Seconds = survived ? 5 : diedAt,
        PeakUsage = peak,
        PeakHeapAfterGc = survived ? peak - MiB : -1,
        HitRate = hitRate,
        OpsPerSecond = ops,
        Gen0 = 10,
        Gen1 = 5,
        Gen2 = 1,
        PauseMs = 500,
        AboveDirectSeconds = 0.5,
        ReclaimRuns = peer.HasReclaimer ? 4 : 0,
    };

    private static ReportInput Input(params RunOutcome[] runs) => new()
    {
        Options = new BenchOptions
        {
            Limit = Limit,
            Seconds = 5,
            Peers = [.. runs.Select(r => r.Spec.Peer).Distinct()],
            SizeFractions = [0.35, 0.65],
            Date = new DateTime(2026, 11, 29, 0, 0, 0, DateTimeKind.Local),
        },
        Machine = new MachineInfo(2, 24L << 30, "test cpu", "Linux", ".NET 10", "0.1 0.2 0.3"),
        Results = PeerResult.Group(runs),
        Charts = new Dictionary<Phase, string> { [Phase.Steady] = "pressure-2026-11-29-steady.png" },
    };

    [Fact]
    public void Build_TableHasARowPerPeer_AndTheReadingStatesTheFacts()
    {
        ReportInput input = Input(
            Run(Peer.MemoryCache, null, survived: false, 0.35, 60_000, 250 * MiB, diedAt: 0.74),
            Run(Peer.MemoryCacheSized, 0.35, survived: true, 0.385, 276_000, 200 * MiB),
            Run(Peer.MemoryCacheSized, 0.65, survived: false, 0.39, 250_000, 255 * MiB, diedAt: 2.5),
            Run(Peer.Shrinkable, null, survived: true, 0.401, 81_000, 247 * MiB));

        string report = ReportBuilder.Build(input);

        Assert.StartsWith("# Pressure benchmark", report, StringComparison.Ordinal);
        Assert.Contains("| memorycache | **no** | OutOfMemoryException at 0.74 s |", report, StringComparison.Ordinal);
        Assert.Contains("| memorycache-sized 35% | yes | - | 200 (78 %) |", report, StringComparison.Ordinal);
        Assert.Contains("| memorycache-sized 65% | **no** |", report, StringComparison.Ordinal);
        Assert.Contains("| shrinkable | yes | - | 247 (96 %) | 246 (96 %) | 0.401 | 81 k | 10 / 5 / 1 | 0.5 | 0.50 (10 %) | 4 | - |", report, StringComparison.Ordinal);
        Assert.Contains("![memory over time, steady limit](pressure-2026-11-29-steady.png)", report, StringComparison.Ordinal);
        Assert.Contains("the best surviving SizeLimit is memorycache-sized 35%", report, StringComparison.Ordinal);
        Assert.Contains("memorycache died (OutOfMemoryException at 0.74 s) and memorycache-sized 65% died (OutOfMemoryException at 2.50 s)", report, StringComparison.Ordinal);
        Assert.Contains("against memorycache-sized 35%: hit rate +0.016, throughput x0.29", report, StringComparison.Ordinal);
        Assert.Contains("| steady | shrinkable | yes: 1 / 1 | yes: 247 of 256 MiB (heap after GC: 246) | yes: 0.401 vs 0.385 | **no**: 81 k vs 276 k | - |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RepeatedDeaths_AreListedOnceByReason_AndADeadPeerIsNotUnderTheLimit()
    {
        RunOutcome Died(double at) => Run(Peer.MemoryCacheShrinker, null, survived: false, 0.41, 90_000, 250 * MiB, diedAt: at);
        ReportInput input = Input(Died(1.1), Died(1.15), Run(Peer.MemoryCacheSized, 0.35, survived: true, 0.385, 276_000, 200 * MiB));

        string report = ReportBuilder.Build(input);

        Assert.Contains("| memorycache-shrinker | 0 / 2 | OutOfMemoryException at 1.10, 1.15 s |", report, StringComparison.Ordinal);
        Assert.Contains("| steady | memorycache-shrinker | **no**: 0 / 2 | **no**: died (peak 250 of 256 MiB) |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void BestSized_NoSizedSurvivor_IsNull()
    {
        ReportInput input = Input(
            Run(Peer.MemoryCacheSized, 0.65, survived: false, 0.39, 250_000, 255 * MiB, diedAt: 2.5),
            Run(Peer.Shrinkable, null, survived: true, 0.401, 81_000, 247 * MiB));

        Assert.Null(ReportBuilder.BestSized(input.Results));
        Assert.Contains("Steady limit: no hand-tuned SizeLimit survived.", ReportBuilder.Reading(input));
        Assert.Contains("no SizeLimit survived", ReportBuilder.Build(input), StringComparison.Ordinal);
    }

    [Fact]
    public void PeerResult_Repeats_AreSummedUpAsMediansAndSurvivals()
    {
        var result = new PeerResult(
        [
            Run(Peer.Shrinkable, null, survived: true, 0.40, 80_000, 240 * MiB),
            Run(Peer.Shrinkable, null, survived: false, 0.30, 50_000, 250 * MiB, diedAt: 1),
            Run(Peer.Shrinkable, null, survived: true, 0.42, 90_000, 245 * MiB),
        ]);

        Assert.Equal(2, result.Survivals);
        Assert.False(result.Survived);
        Assert.Equal(0.40, result.HitRate);
        Assert.Equal(80_000, result.OpsPerSecond);
        Assert.Equal(250 * MiB, result.MaxPeakUsage);
    }
}
