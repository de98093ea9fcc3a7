namespace Reclaim.Soak;

/// <summary>One reading of the process's footprint, taken right after a full blocking compacting collection.</summary>
internal sealed record Sample(double Seconds, IReadOnlyDictionary<string, double> Values);

/// <summary>How much a metric may grow between the middle and the last third of the warm run.</summary>
internal readonly record struct Tolerance(double Relative, double Absolute);

/// <summary>
/// Memory flat once warm. The samples after the warm-up (the first <see cref="WarmFraction"/> of the run) are cut in
/// three equal parts; a metric fails when the median of the last third exceeds the median of the middle third by more
/// than its tolerance: <c>median(last) &gt; median(middle) * (1 + relative) + absolute</c>. Medians, so one sample
/// taken while caches were full does not decide; thirds, so a steady climb (a leak) shows however noisy the samples.
/// </summary>
internal static class Flatness
{
    public const double WarmFraction = 0.2;

    /// <summary>The fewest warm samples the rule needs (three per third).</summary>
    public const int MinimumSamples = 9;

    /// <summary>The metrics sampled and their tolerances.</summary>
    public static readonly IReadOnlyDictionary<string, Tolerance> Tolerances = new Dictionary<string, Tolerance>(StringComparer.Ordinal)
    {
        // The heap after a full collection: mostly cache entries, which reclaim keeps anywhere between nearly empty (after
        // a drop-caches) and the start watermark (205 MiB of 256), so only a gross leak shows here: 96 MiB of slack.
        ["heap_mb"] = new(0, 96),
        // The heap less the bytes charged: what the charges do not account for (the library's own objects, the caches'
        // dictionaries and entries, the harness's bookkeeping, and any leak). Steady at 10-20 MiB: the fine measure.
        ["uncharged_mb"] = new(0.25, 16),
        ["shrinkers"] = new(0.5, 16),
        ["groups"] = new(0.5, 16),
        // Group tables grow with the highest group-aware id in use: a leak of ids shows here.
        ["id_units"] = new(0, 1),
        ["fds"] = new(0.25, 16),
        ["threads"] = new(0.25, 8),
        // Offline groups and freed shrinkers (a sample of them) still alive two samples after they were dropped.
        ["unreleased"] = new(0, 2),
    };

    /// <summary>The metrics that grew beyond their tolerance, each with its numbers; empty when flat (or too few samples).</summary>
    public static List<string> Check(IReadOnlyList<Sample> samples, double runSeconds, out int warmSamples) =>
        Check(samples, runSeconds, out warmSamples, out _);

    /// <summary>As <see cref="Check(IReadOnlyList{Sample}, double, out int)"/>, also giving each metric's medians and allowance.</summary>
    public static List<string> Check(IReadOnlyList<Sample> samples, double runSeconds, out int warmSamples, out List<string> details)
    {
        var failures = new List<string>();
        details = [];
        Sample[] warm = [.. samples.Where(s => s.Seconds >= runSeconds * WarmFraction)];
        warmSamples = warm.Length;
        if (warm.Length < MinimumSamples)
        {
            return failures;
        }

        int third = warm.Length / 3;
        Sample[] middle = warm[third..(2 * third)];
        Sample[] last = warm[(warm.Length - third)..];
        foreach ((string metric, Tolerance tolerance) in Tolerances)
        {
            if (!warm[0].Values.ContainsKey(metric))
            {
                continue;
            }

            double before = Median(middle.Select(s => s.Values[metric]));
            double after = Median(last.Select(s => s.Values[metric]));
            double allowed = (before * (1 + tolerance.Relative)) + tolerance.Absolute;
            details.Add($"{metric}: middle third {Text.Of(before, "F1")}, last third {Text.Of(after, "F1")}, allowed {Text.Of(allowed, "F1")}");
            if (after > allowed)
            {
                failures.Add($"{metric}: median {Text.Of(after, "F1")} in the last third against {Text.Of(before, "F1")} in the middle third (allowed up to {Text.Of(allowed, "F1")})");
            }
        }

        return failures;
    }

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
        {
            return 0;
        }

        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>
/// Weak references to objects the harness dropped (a sample of freed shrinkers and their lists, offline groups, disposed
/// caches): once dropped, nothing in the library may keep them alive. <see cref="CountUnreleased"/> counts those still
/// alive after a full collection that were dropped before <c>olderThan</c>.
/// </summary>
internal sealed class LeakTracker
{
    private readonly Lock _lock = new();
    private readonly List<(WeakReference Reference, string What, double At)> _tracked = [];
    private long _added;

    public long Added => Interlocked.Read(ref _added);

    public void Track(object dropped, string what, double at)
    {
        lock (_lock)
        {
            _tracked.Add((new WeakReference(dropped), what, at));
            Interlocked.Increment(ref _added);
        }
    }

    /// <summary>Forgets the collected ones; returns the descriptions of those dropped before <paramref name="olderThan"/> and still alive.</summary>
    public List<string> Unreleased(double olderThan)
    {
        lock (_lock)
        {
            _tracked.RemoveAll(t => !t.Reference.IsAlive);
            return [.. _tracked.Where(t => t.At < olderThan).Select(t => $"{t.What} (dropped at {Text.Of(t.At, "F1")} s)")];
        }
    }

    public int CountUnreleased(double olderThan) => Unreleased(olderThan).Count;
}
