namespace Reclaim.PressureBench;

/// <summary>
/// The runs of one peer (one size limit) in one phase, summed up: survivals out of runs, and the median of each
/// measure over the runs (with one run, that run's numbers).
/// </summary>
internal sealed class PeerResult
{
    public PeerResult(IReadOnlyList<RunOutcome> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("A peer result needs at least one run.", nameof(runs));
        }

        Runs = runs;
    }

    public IReadOnlyList<RunOutcome> Runs { get; }

    public RunSpec Spec => Runs[0].Spec;

    public string Label => Spec.Label;

    public Peer Peer => Spec.Peer;

    public int Survivals => Runs.Count(r => r.Survived);

    /// <summary>Every run survived.</summary>
    public bool Survived => Survivals == Runs.Count;

    /// <summary>The runs that died.</summary>
    public IEnumerable<RunOutcome> Deaths => Runs.Where(r => !r.Survived);

    public long Limit => Runs[0].Limit;

    public double PeakUsage => Median(r => r.PeakUsage >= 0 ? r.PeakUsage : double.NaN);

    /// <summary>The highest peak over the runs (for "stayed under the limit").</summary>
    public long MaxPeakUsage => Runs.Max(r => r.PeakUsage);

    public double PeakHeapAfterGc => Median(r => r.PeakHeapAfterGc >= 0 ? r.PeakHeapAfterGc : double.NaN);

    public double HitRate => Median(r => r.HitRate);

    public double OpsPerSecond => Median(r => r.OpsPerSecond);

    public double Gen0 => Median(r => r.Gen0 >= 0 ? r.Gen0 : double.NaN);

    public double Gen1 => Median(r => r.Gen1 >= 0 ? r.Gen1 : double.NaN);

    public double Gen2 => Median(r => r.Gen2 >= 0 ? r.Gen2 : double.NaN);

    public double PauseMs => Median(r => r.PauseMs >= 0 ? r.PauseMs : double.NaN);

    public double AboveDirectSeconds => Median(r => r.AboveDirectSeconds);

    /// <summary>Time above the direct line as a share of the run's own length (to its death, if it died).</summary>
    public double AboveDirectShare => Median(r => r.Seconds > 0 ? r.AboveDirectSeconds / r.Seconds : double.NaN);

    public double ReclaimRuns => Median(r => r.ReclaimRuns);

    public double Entries => Median(r => r.Entries >= 0 ? r.Entries : double.NaN);

    public double Seconds => Median(r => r.Seconds);

    public double FitAfterSeconds => Median(r => r.FitAfterSeconds);

    public double PeakSinceFit => Median(r => r.PeakSinceFit >= 0 ? r.PeakSinceFit : double.NaN);

    public long LoweredLimit => Runs[0].LoweredLimit;

    public int Followed => Runs.Count(r => r.FollowedLoweredLimit);

    public long Corrupt => Runs.Sum(r => r.Corrupt);

    /// <summary>The median of <paramref name="measure"/> over the runs where it is known; NaN when it is nowhere.</summary>
    public double Median(Func<RunOutcome, double> measure)
    {
        double[] values = [.. Runs.Select(measure).Where(v => !double.IsNaN(v)).Order()];
        return values.Length switch
        {
            0 => double.NaN,
            _ when values.Length % 2 == 1 => values[values.Length / 2],
            _ => (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2,
        };
    }

    /// <summary>Groups <paramref name="outcomes"/> by phase and label, in run order.</summary>
    public static IReadOnlyList<PeerResult> Group(IEnumerable<RunOutcome> outcomes) =>
        [.. outcomes.GroupBy(o => (o.Spec.Phase, o.Spec.Label)).Select(g => new PeerResult([.. g]))];
}
