using Reclaim.Internal;

namespace Reclaim.Pressure;

/// <summary>
/// Where reclaim starts, where it stops, and where it turns direct, as fractions of the memory limit (the kernel's
/// low/high/min watermarks, turned around: these count usage, not free memory).
/// </summary>
internal sealed record Watermarks(double Target = 0.70, double Start = 0.80, double Direct = 0.90)
{
    /// <summary>Checks <c>0 &lt; Target &lt; Start &lt; Direct &lt;= 1</c>; the message names the setting that breaks it.</summary>
    public Watermarks Validate()
    {
        if (!(Target > 0 && Target < Start))
        {
            Throw.Argument(nameof(Target), $"The target watermark ({Target}) must be above 0 and below the start watermark ({Start}).");
        }

        if (!(Start < Direct))
        {
            Throw.Argument(nameof(Start), $"The start watermark ({Start}) must be below the direct watermark ({Direct}).");
        }

        if (!(Direct <= 1))
        {
            Throw.Argument(nameof(Direct), $"The direct watermark ({Direct}) must be at most 1 (the whole limit).");
        }

        return this;
    }

    /// <summary>Bytes to free to bring <paramref name="usage"/> down to the target watermark of <paramref name="limit"/>.</summary>
    public long BytesToFree(long usage, long limit) => Math.Max(0, usage - TargetLine(limit));

    /// <summary>The target watermark in bytes of <paramref name="limit"/>.</summary>
    public long TargetLine(long limit) => Line(Target, limit);

    /// <summary>The start watermark in bytes of <paramref name="limit"/>.</summary>
    public long StartLine(long limit) => Line(Start, limit);

    /// <summary>The direct watermark in bytes of <paramref name="limit"/>.</summary>
    public long DirectLine(long limit) => Line(Direct, limit);

    // Every comparison with a watermark is made in these bytes, so a usage set at a line is at that level exactly.
    private static long Line(double fraction, long limit) => (long)Math.Ceiling(fraction * limit);
}
