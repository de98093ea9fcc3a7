namespace Reclaim.Pressure;

/// <summary>
/// Turns usage readings into a pressure level with hysteresis: the level rises as soon as usage crosses a watermark,
/// and falls only once usage is back below the lower line (Moderate ends below the target, Critical below the start)
/// and a cooldown has passed since the last rise, so a level does not flap around one line (Chromium waits 10 s).
/// </summary>
/// <remarks>Not thread-safe: one reclaimer thread feeds it; others read <see cref="Level"/>, which is a volatile field.</remarks>
internal sealed class PressureTracker(Watermarks watermarks, TimeProvider time, TimeSpan cooldown)
{
    private readonly Watermarks _watermarks = watermarks.Validate();
    private volatile MemoryPressureLevel _level;
    private long _lastRise = long.MinValue;

    /// <summary>The level after the last reading.</summary>
    public MemoryPressureLevel Level => _level;

    /// <summary>Takes a reading; returns the (possibly new) level.</summary>
    public MemoryPressureLevel Update(long usage, long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(usage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        long start = _watermarks.StartLine(limit);
        MemoryPressureLevel current = _level;
        MemoryPressureLevel raw =
            usage >= _watermarks.DirectLine(limit) ? MemoryPressureLevel.Critical
            : usage >= start ? MemoryPressureLevel.Moderate
            : MemoryPressureLevel.None;

        if (raw > current)
        {
            _lastRise = time.GetTimestamp();
            _level = raw;
            return raw;
        }

        if (raw < current && time.GetElapsedTime(_lastRise) >= cooldown)
        {
            // Fall one step at a time, each below its own lower line.
            long target = _watermarks.TargetLine(limit);
            MemoryPressureLevel next = current == MemoryPressureLevel.Critical
                ? (usage < start ? MemoryPressureLevel.Moderate : current)
                : (usage < target ? MemoryPressureLevel.None : current);
            if (next == MemoryPressureLevel.Moderate && usage < target)
            {
                next = MemoryPressureLevel.None;
            }

            _level = next;
        }

        return _level;
    }
}
