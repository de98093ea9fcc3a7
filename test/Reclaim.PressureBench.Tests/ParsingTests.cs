namespace Reclaim.PressureBench.Tests;

/// <summary>The workload's lines and what a run's outcome reads from them.</summary>
public sealed class ParsingTests
{
    private const long MiB = 1 << 20;

    private static readonly RunSpec Steady = new(Peer.Shrinkable, Phase.Steady, null, null, 1);
    private static readonly RunSpec Lowered = new(Peer.Shrinkable, Phase.Lowered, null, null, 1);

    [Fact]
    public void Parse_Line_ReadsKindFieldsAndQuotes()
    {
        WorkloadLine line = WorkloadLine.Parse("source name=gen2-gc active=False reason=\"not on this platform\" t=1.25 n=42 word");

        Assert.Equal("source", line.Kind);
        Assert.Equal("not on this platform", line.Get("reason"));
        Assert.Equal(1.25, line.Double("t"));
        Assert.Equal(42, line.Long("n"));
        Assert.Null(line.Get("word"));
        Assert.Equal(-1, line.Long("missing"));
        Assert.True(double.IsNaN(line.Double("reason")));
    }

    [Fact]
    public void FromOutput_Survived_ReadsTheSummaryAndSamples()
    {
        string[] stdout =
        [
            "start pid=1 reclaim=on cache=shrinkable total_available=268435456",
            "sample t=0.25 window_peak=104857600 limit_in_force=268435456 usage=1",
            "sample t=0.50 window_peak=209715200 limit_in_force=268435456 usage=2",
            "summary survived=true peak_usage=230686720 limit=268435456 peak_heap_after_gc=220000000 hit_rate=0.4012 ops=400000 " +
            "ops_per_sec=80000 corrupt=0 runs=3 gen0=120 gen1=119 gen2=29 pause_ms=3500 limit_in_force=268435456 above_direct_s=0.69 " +
            "lowered_at=-1.00 seconds=5.00",
        ];

        RunOutcome run = RunOutcome.FromOutput(Steady, stdout, [], 0, timedOut: false, loweredLimit: 0);

        Assert.True(run.Survived);
        Assert.Null(run.DeathReason);
        Assert.Equal(256 * MiB, run.Limit);
        Assert.Equal(230686720, run.PeakUsage);
        Assert.Equal(0.4012, run.HitRate);
        Assert.Equal(80000, run.OpsPerSecond);
        Assert.Equal((120, 119, 29), (run.Gen0, run.Gen1, run.Gen2));
        Assert.Equal(0.69, run.AboveDirectSeconds);
        Assert.Equal(3, run.ReclaimRuns);
        Assert.Equal(5, run.Seconds);
        Assert.Equal([new Sample(0.25, 100 * MiB, 256 * MiB), new Sample(0.5, 200 * MiB, 256 * MiB)], run.Samples);
        Assert.True(double.IsNaN(run.LoweredAt));
    }

    [Fact]
    public void FromOutput_OutOfMemory_ReadsReasonAndTime()
    {
        string[] stdout =
        [
            "start pid=1 total_available=268435456",
            "sample t=0.25 window_peak=204857600 limit_in_force=268435456",
            "summary survived=false reason=OutOfMemoryException t=0.74 peak_usage=263000000 hit_rate=0.3560 ops=44000 ops_per_sec=60000 " +
            "gen0=17 gen1=16 gen2=4 above_direct_s=0.14 lowered_at=-1.00 seconds=0.74",
            "failure t=0.74 total=1",
        ];

        RunOutcome run = RunOutcome.FromOutput(Steady, stdout, [], RunOutcome.OutOfMemoryExitCode, timedOut: false, loweredLimit: 0);

        Assert.False(run.Survived);
        Assert.Equal("OutOfMemoryException", run.DeathReason);
        Assert.Equal(0.74, run.DiedAt);
        Assert.Equal(0.74, run.Seconds);
        Assert.Equal(263000000, run.PeakUsage);
        Assert.Equal(0.356, run.HitRate);
        Assert.Equal(-1, run.PeakHeapAfterGc);
    }

    [Fact]
    public void FromOutput_KilledWithoutSummary_SaysSoAndTakesTheLastSample()
    {
        string[] stdout = ["start pid=1 total_available=268435456", "sample t=0.25 window_peak=1 limit_in_force=268435456", "sample t=0.50 window_peak=2 limit_in_force=268435456"];

        RunOutcome run = RunOutcome.FromOutput(Steady, stdout, ["fatal"], RunOutcome.KilledExitCode, timedOut: false, loweredLimit: 0);

        Assert.False(run.Survived);
        Assert.Contains("killed", run.DeathReason, StringComparison.Ordinal);
        Assert.Equal(0.5, run.DiedAt);
        Assert.Contains("fatal", run.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void FromOutput_NeverStarted_IsNotTakenForASurvival()
    {
        RunOutcome run = RunOutcome.FromOutput(Steady, [], ["bad option"], 2, timedOut: false, loweredLimit: 0);

        Assert.False(run.Survived);
        Assert.Equal("did not start (exit 2)", run.DeathReason);
    }

    [Fact]
    public void FromOutput_Lowered_FindsTheFirstWindowUnderTheNewLimitAndThePeakAfter()
    {
        const long Start = 300 * MiB, New = 200 * MiB;
        string[] stdout =
        [
            "start pid=1 total_available=314572800",
            $"sample t=2.00 window_peak={280 * MiB} limit_in_force={Start}",
            $"sample t=2.25 window_peak={290 * MiB} limit_in_force={New}",
            $"limit_lower_failed t=2.25 attempt=1",
            $"sample t=2.50 window_peak={210 * MiB} limit_in_force={New}",
            $"limit_lowered t=2.50 attempt=2",
            $"sample t=2.75 window_peak={150 * MiB} limit_in_force={New}",
            $"sample t=3.00 window_peak={190 * MiB} limit_in_force={New}",
            $"sample t=3.25 window_peak={170 * MiB} limit_in_force={New}",
            "summary survived=true peak_usage=1 hit_rate=0.5 ops_per_sec=1 lowered_at=2.10 seconds=4",
        ];

        RunOutcome run = RunOutcome.FromOutput(Lowered, stdout, [], 0, timedOut: false, loweredLimit: New);

        Assert.Equal(2.1, run.LoweredAt);
        Assert.Equal(2.5, run.RuntimeAcceptedAt);
        Assert.Equal(2, run.LowerAttempts);
        Assert.Equal(0.65, run.FitAfterSeconds, 6);
        Assert.Equal(190 * MiB, run.PeakSinceFit);
        Assert.True(run.FollowedLoweredLimit);
        Assert.Equal(Start, run.Limit);
    }

    [Fact]
    public void Fit_BackAboveTheNewLimit_IsNotFollowing()
    {
        Sample[] samples = [new(1, 90, 100), new(2, 80, 100), new(3, 120, 100)];

        (double fitAfter, long peakSince) = RunOutcome.Fit(samples, loweredAt: 1.5, limit: 100);

        Assert.Equal(0.5, fitAfter);
        Assert.Equal(120, peakSince);
        Assert.True(double.IsNaN(RunOutcome.Fit(samples, loweredAt: double.NaN, limit: 100).FitAfter));
        Assert.True(double.IsNaN(RunOutcome.Fit([new(2, 150, 100)], loweredAt: 1, limit: 100).FitAfter));
    }
}
