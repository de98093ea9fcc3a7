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
    public long BytesToFree(long usage, long limit) => Math.Max(0, usage - (long)(Target * limit));
}
