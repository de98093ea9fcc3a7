using Reclaim.Internal;

namespace Reclaim;

// Per-shrinker counters. Each is updated with Interlocked by whichever pass ran the shrinker and read without a lock:
// a snapshot may mix counters from before and after a concurrent pass (accepted: they are statistics, and each
// counter on its own is exact).
public sealed partial class Shrinker
{
    private const int BusyCountShift = 44;
    private const long BusyStartMask = (1L << BusyCountShift) - 1;

    private long _passes;
    private long _scanned;
    private long _freed;
    private long _errors;
    private long _violations;
    private long _callbackMilliseconds;

    // Calls in flight and the start of the current busy period, in one word so that both change together:
    // bits 44..63 hold how many passes are inside this shrinker now; bits 0..43 the registry clock, in milliseconds,
    // when that number last rose from 0. So "running since" is exact even while calls overlap.
    private long _busy;

    /// <summary>A snapshot of this shrinker's statistics.</summary>
    /// <returns>Counters since allocation, and whether a callback is running now and for how long.</returns>
    public ShrinkerStatistics GetStatistics()
    {
        long busy = Volatile.Read(ref _busy);
        int running = (int)(busy >>> BusyCountShift);
        TimeSpan? runningFor = null;
        if (running > 0)
        {
            long nowMs = Registry.NowMilliseconds();
            // The start is kept modulo 2^44 ms (557 years); so is the difference, which is right for any real duration
            // whatever epoch the clock counts from.
            runningFor = TimeSpan.FromMilliseconds((nowMs - (busy & BusyStartMask)) & BusyStartMask);
        }

        long deferred = TotalDeferred();

        return new ShrinkerStatistics(
            Volatile.Read(ref _passes),
            Volatile.Read(ref _scanned),
            Volatile.Read(ref _freed),
            Volatile.Read(ref _errors),
            Volatile.Read(ref _violations),
            deferred,
            TimeSpan.FromMilliseconds(Volatile.Read(ref _callbackMilliseconds)),
            running,
            runningFor);
    }

    /// <summary>Notes that a pass entered this shrinker (before its first callback).</summary>
    internal void EnterBusy(long nowMs)
    {
        long busy = Volatile.Read(ref _busy);
        while (true)
        {
            long next = (busy >>> BusyCountShift) == 0
                ? (1L << BusyCountShift) | (nowMs & BusyStartMask)
                : busy + (1L << BusyCountShift);
            long seen = Interlocked.CompareExchange(ref _busy, next, busy);
            if (seen == busy)
            {
                return;
            }

            busy = seen;
        }
    }

    /// <summary>
    /// Notes that a pass left this shrinker and adds the time it spent in callbacks, in whole milliseconds of a coarse
    /// clock. A visit shorter than a tick adds 0 or 1 depending on where the tick fell, in proportion to its length, so
    /// the sum is an unbiased measure of the total even though each visit's share is coarse.
    /// </summary>
    internal void LeaveBusy(long elapsedMilliseconds)
    {
        long busy = Volatile.Read(ref _busy);
        while (true)
        {
            long next = (busy >>> BusyCountShift) == 1 ? 0 : busy - (1L << BusyCountShift);
            long seen = Interlocked.CompareExchange(ref _busy, next, busy);
            if (seen == busy)
            {
                break;
            }

            busy = seen;
        }

        if (elapsedMilliseconds > 0)
        {
            Interlocked.Add(ref _callbackMilliseconds, elapsedMilliseconds);
        }
    }

    internal void RecordPass(long scanned, long freed)
    {
        Interlocked.Increment(ref _passes);
        if (scanned != 0)
        {
            Saturating.InterlockedAdd(ref _scanned, scanned);
        }

        if (freed != 0)
        {
            Saturating.InterlockedAdd(ref _freed, freed);
        }
    }

    internal void RecordError() => Interlocked.Increment(ref _errors);

    internal void RecordViolation() => Interlocked.Increment(ref _violations);

    /// <summary>Adds to the objects scanned and freed by a direct scan call (the debug endpoint's <c>scan</c>).</summary>
    internal void RecordDirectScan(long scanned, long freed)
    {
        Saturating.InterlockedAdd(ref _scanned, Saturating.NonNegative(scanned));
        Saturating.InterlockedAdd(ref _freed, Saturating.NonNegative(freed));
    }
}
