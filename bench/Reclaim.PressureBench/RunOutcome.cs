namespace Reclaim.PressureBench;

/// <summary>One point of a run's time series (a <c>sample</c> line, every 250 ms).</summary>
/// <param name="Seconds">Time since the workload started.</param>
/// <param name="WindowPeakBytes">The highest 10 ms reading of the managed heap (garbage included) since the previous sample.</param>
/// <param name="LimitInForceBytes">The limit in force (the lowered one from the drop on).</param>
internal readonly record struct Sample(double Seconds, long WindowPeakBytes, long LimitInForceBytes);

/// <summary>
/// What one run of the workload came to, read from its lines and exit code: survived or how it died and when, the
/// peak against the limit, hit rate, throughput, GC counts, time above the direct line, reclaim runs, and for the
/// lowered phase whether it followed the new limit.
/// </summary>
internal sealed class RunOutcome
{
    /// <summary>Exit code of the workload after an <see cref="OutOfMemoryException"/>.</summary>
    public const int OutOfMemoryExitCode = 3;

    /// <summary>Exit code of a process killed by SIGKILL (the kernel's OOM killer): 128 + 9.</summary>
    public const int KilledExitCode = 137;

    public required RunSpec Spec { get; init; }

    /// <summary>The limit in force at the start, as the workload saw it (the heap hard limit, or the runtime's share of the cgroup's).</summary>
    public long Limit { get; init; }

    /// <summary>The cgroup's limit when the run had one, else 0.</summary>
    public long CgroupLimit { get; init; }

    /// <summary>The cgroup's peak usage (v1 memory.max_usage_in_bytes, v2 memory.peak), -1 when none or unknown.</summary>
    public long CgroupPeak { get; init; } = -1;

    /// <summary>Processes the OOM killer killed in the run's cgroup, -1 when none or unknown.</summary>
    public long OomKills { get; init; } = -1;

    public bool Survived { get; init; }

    /// <summary>Why it died: the exception's name, <c>killed (exit 137)</c>, <c>exit N</c>, <c>timed out</c>; null when it survived.</summary>
    public string? DeathReason { get; init; }

    /// <summary>When it died (seconds from its start): the summary's <c>t</c>, else the last sample's; NaN when unknown or survived.</summary>
    public double DiedAt { get; init; } = double.NaN;

    /// <summary>Seconds the run lasted (to the end, or to the death).</summary>
    public double Seconds { get; init; }

    /// <summary>The peak of the 10 ms readings of the managed heap, garbage included (GC.GetTotalMemory(false)).</summary>
    public long PeakUsage { get; init; } = -1;

    /// <summary>The peak heap size after a collection, read every 250 ms (-1 when it died: not in the failure line).</summary>
    public long PeakHeapAfterGc { get; init; } = -1;

    public double HitRate { get; init; } = double.NaN;

    public double OpsPerSecond { get; init; } = double.NaN;

    public long Ops { get; init; }

    public long Gen0 { get; init; } = -1;

    public long Gen1 { get; init; } = -1;

    public long Gen2 { get; init; } = -1;

    /// <summary>Milliseconds the GC paused the process.</summary>
    public long PauseMs { get; init; } = -1;

    /// <summary>Seconds the 10 ms readings were above 0.90 of the limit in force.</summary>
    public double AboveDirectSeconds { get; init; } = double.NaN;

    /// <summary>Background reclaim runs (Reclaim's peers), else 0.</summary>
    public long ReclaimRuns { get; init; }

    public long Corrupt { get; init; }

    /// <summary>Entries in the cache at the end (survivors only), -1 when unknown.</summary>
    public long Entries { get; init; } = -1;

    /// <summary>The bytes the cache accounts for at the end (its weigher's sum: <c>shrinkable</c> only), -1 when unknown.</summary>
    public long CacheBytes { get; init; } = -1;

    /// <summary>The lowered limit (lowered phase), else 0.</summary>
    public long LoweredLimit { get; init; }

    /// <summary>When the limit dropped (seconds), NaN when it did not.</summary>
    public double LoweredAt { get; init; } = double.NaN;

    /// <summary>When the runtime accepted the lower heap hard limit (its <c>limit_lowered</c> line), NaN when it never did.</summary>
    public double RuntimeAcceptedAt { get; init; } = double.NaN;

    /// <summary>Attempts the workload made to lower the runtime's limit.</summary>
    public int LowerAttempts { get; init; }

    /// <summary>
    /// Seconds from the drop to the end of the first 250 ms sample window whose every 10 ms reading was under the new
    /// limit (its window peak below it), NaN when none was.
    /// </summary>
    public double FitAfterSeconds { get; init; } = double.NaN;

    /// <summary>The highest window peak from that window on, -1 when it never fitted.</summary>
    public long PeakSinceFit { get; init; } = -1;

    public IReadOnlyList<Sample> Samples { get; init; } = [];

    /// <summary>The command that ran it, for the report's reader to repeat it.</summary>
    public string Command { get; init; } = string.Empty;

    /// <summary>The last lines of its output, when something went wrong that the lines do not say.</summary>
    public string Diagnostics { get; init; } = string.Empty;

    /// <summary>Peak usage as a share of the limit.</summary>
    public double PeakShare => Limit > 0 && PeakUsage >= 0 ? (double)PeakUsage / Limit : double.NaN;

    /// <summary>Whether it followed the lowered limit: survived, got under it, and never went above it again.</summary>
    public bool FollowedLoweredLimit => Survived && !double.IsNaN(FitAfterSeconds) && PeakSinceFit >= 0 && PeakSinceFit < LoweredLimit;

    /// <summary>Reads a run from what the workload printed.</summary>
    public static RunOutcome FromOutput(
        RunSpec spec, IReadOnlyList<string> stdout, IReadOnlyList<string> stderr, int? exitCode, bool timedOut, long loweredLimit,
        string command = "", long cgroupLimit = 0, long cgroupPeak = -1, long oomKills = -1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        WorkloadLine[] lines = [.. stdout.Select(WorkloadLine.Parse)];
        WorkloadLine? start = lines.FirstOrDefault(l => l.Kind == "start");
        WorkloadLine? summary = lines.LastOrDefault(l => l.Kind == "summary");
        WorkloadLine[] samples = [.. lines.Where(l => l.Kind == "sample")];
        WorkloadLine? accepted = lines.FirstOrDefault(l => l.Kind == "limit_lowered");
        int attempts = lines.Count(l => l.Kind is "limit_lowered" or "limit_lower_failed");
        bool survived = !timedOut && exitCode == 0 && summary?.Get("survived") == "true";

        string? reason = null;
        double diedAt = double.NaN;
        if (!survived)
        {
            reason = timedOut ? "timed out"
                : summary?.Get("reason") is { } r ? r
                : start is null ? $"did not start (exit {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})"
                : exitCode == KilledExitCode ? "killed (SIGKILL, exit 137)"
                : $"exit {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}";
            diedAt = summary?.Double("t") ?? (samples.Length > 0 ? samples[^1].Double("t") : double.NaN);
        }

        // The limit the run started under: the first sample's limit in force, else the start line's runtime limit.
        long limit = samples.Length > 0 ? samples[0].Long("limit_in_force") : start?.Long("total_available") ?? -1;
        double seconds = survived ? summary!.Double("seconds") : diedAt;
        long peak = Math.Max(summary?.Long("peak_usage") ?? -1, samples.Length > 0 ? samples.Max(s => s.Long("window_peak")) : -1);
        double loweredAt = summary?.Double("lowered_at") ?? double.NaN;
        Sample[] series = [.. samples.Select(s => new Sample(s.Double("t"), s.Long("window_peak"), s.Long("limit_in_force")))];
        (double fit, long peakSinceFit) = Fit(series, loweredAt, loweredLimit);
        string diagnostics = survived ? string.Empty : string.Join('\n', stdout.TakeLast(4).Concat(stderr.TakeLast(6)));

        return new RunOutcome
        {
            Spec = spec,
            Limit = limit,
            CgroupLimit = cgroupLimit,
            CgroupPeak = cgroupPeak,
            OomKills = oomKills,
            Survived = survived,
            DeathReason = reason,
            DiedAt = diedAt,
            Seconds = seconds,
            PeakUsage = peak,
            PeakHeapAfterGc = summary?.Long("peak_heap_after_gc") ?? -1,
            HitRate = summary?.Double("hit_rate") ?? double.NaN,
            OpsPerSecond = summary?.Double("ops_per_sec") ?? double.NaN,
            Ops = summary?.Long("ops", 0) ?? 0,
            Gen0 = summary?.Long("gen0") ?? -1,
            Gen1 = summary?.Long("gen1") ?? -1,
            Gen2 = summary?.Long("gen2") ?? -1,
            PauseMs = summary?.Long("pause_ms") ?? -1,
            AboveDirectSeconds = summary?.Double("above_direct_s") ?? double.NaN,
            ReclaimRuns = summary?.Long("runs", 0) ?? 0,
            Corrupt = summary?.Long("corrupt", 0) ?? 0,
            Entries = summary?.Long("entries") ?? -1,
            CacheBytes = summary?.Long("bytes") ?? -1,
            LoweredLimit = loweredLimit,
            LoweredAt = loweredAt >= 0 ? loweredAt : double.NaN,
            RuntimeAcceptedAt = accepted?.Double("t") ?? double.NaN,
            LowerAttempts = attempts,
            FitAfterSeconds = fit,
            PeakSinceFit = peakSinceFit,
            Samples = series,
            Command = command,
            Diagnostics = diagnostics,
        };
    }

    /// <summary>
    /// When the series first fitted under <paramref name="limit"/> after <paramref name="loweredAt"/> (seconds after it, at
    /// the end of the first window whose peak is below the limit) and the highest window peak from then on; (NaN, -1) when never.
    /// </summary>
    public static (double FitAfter, long PeakSince) Fit(IReadOnlyList<Sample> samples, double loweredAt, long limit)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (double.IsNaN(loweredAt) || loweredAt < 0 || limit <= 0)
        {
            return (double.NaN, -1);
        }

        for (int i = 0; i < samples.Count; i++)
        {
            Sample sample = samples[i];
            if (sample.Seconds > loweredAt && sample.WindowPeakBytes >= 0 && sample.WindowPeakBytes < limit)
            {
                long peak = samples.Skip(i).Max(s => s.WindowPeakBytes);
                return (sample.Seconds - loweredAt, peak);
            }
        }

        return (double.NaN, -1);
    }
}
