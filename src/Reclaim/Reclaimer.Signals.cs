using Reclaim.Pressure;

namespace Reclaim;

// Signals: sources, the sampling timer and Signal(level) record what they saw and wake the reclaimer's thread.
public sealed partial class Reclaimer
{
    private const int NothingPending = -1;

    private readonly AutoResetEvent _wake = new(initialState: false);

    // Pending signal state, written by any thread and taken by the reclaimer's thread in Step:
    // _pendingLevel is the highest level signalled since the last step (NothingPending when none), raised by CAS so a
    // lower signal never overwrites a higher one; _pendingSince is the timestamp of the first signal since the last
    // step (0 when none), set by CAS from 0; _pendingSource names the source of the highest level. The three are not
    // updated atomically together: a step racing a signal may report the source of a signal whose level it missed;
    // the level itself is never lost (taken by Exchange), which is what decides.
    private int _pendingLevel = NothingPending;
    private long _pendingSince;
    private volatile string? _pendingSource;

    /// <summary>
    /// Tells the reclaimer that memory is short (<see cref="MemoryPressureLevel.Moderate"/> or
    /// <see cref="MemoryPressureLevel.Critical"/>): it reclaims as if usage stood at least at that level's watermark,
    /// whatever its reading says. <see cref="MemoryPressureLevel.None"/> only asks for a reading now. Returns at once;
    /// the reclaim runs on the reclaimer's thread, once <see cref="Start"/> has been called.
    /// </summary>
    /// <param name="level">What the caller knows.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not a defined level.</exception>
    public void Signal(MemoryPressureLevel level)
    {
        if (level is < MemoryPressureLevel.None or > MemoryPressureLevel.Critical)
        {
            Internal.Throw.ArgumentOutOfRange(nameof(level), level, "The level must be None, Moderate or Critical.");
        }

        Record("manual", level);
    }

    private void OnSignal(MemoryPressureSignal signal)
    {
        MemoryPressureLevel level = signal.Level is < MemoryPressureLevel.None or > MemoryPressureLevel.Critical ? MemoryPressureLevel.None : signal.Level;
        Record(signal.Source ?? "source", level);
    }

    /// <summary>Records a signal and wakes the thread. Lock-free and allocation-free: callable from a finalizer or a native wait.</summary>
    private void Record(string source, MemoryPressureLevel level)
    {
        // 1. The time first (so a step that takes the level also finds a time), 2. then raise the level.
        Interlocked.CompareExchange(ref _pendingSince, _time.GetTimestamp(), 0);
        Internal.SchedulingPoints.Interleave();
        int wanted = (int)level;
        int seen = Volatile.Read(ref _pendingLevel);
        while (seen < wanted)
        {
            Internal.SchedulingPoints.Interleave();
            int previous = Interlocked.CompareExchange(ref _pendingLevel, wanted, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        if (seen <= wanted)
        {
            _pendingSource = source;
        }

        Wake();
    }

    private void Wake()
    {
        if (!_stopping)
        {
            try
            {
                _wake.Set();
            }
            catch (ObjectDisposedException)
            {
                // A source or the timer firing as the reclaimer is disposed: nothing to wake.
            }
        }
    }

    /// <summary>Takes the pending signal: its level (or null when only the sampling timer woke us), source and time.</summary>
    private (MemoryPressureLevel? Level, string Trigger, long Since) TakePending(long now)
    {
        int level = Interlocked.Exchange(ref _pendingLevel, NothingPending);
        Internal.SchedulingPoints.Interleave();
        long since = Interlocked.Exchange(ref _pendingSince, 0);
        string? source = _pendingSource;
        _pendingSource = null;
        return level == NothingPending
            ? (null, "sampling", now)
            : ((MemoryPressureLevel)level, source ?? "signal", since == 0 ? now : since);
    }

    /// <summary>For the systematic tests: what a step would take.</summary>
    internal (MemoryPressureLevel? Level, string Trigger, long Since) TakePendingForTest() => TakePending(_time.GetTimestamp());
}
