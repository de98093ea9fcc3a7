using Reclaim.Internal;

namespace Reclaim;

// Per-shrinker counters. Each is updated with Interlocked by whichever pass ran the shrinker and read without a lock:
// a snapshot may mix counters from before and after a concurrent pass (accepted: they are statistics, and each
// counter on its own is exact).
public sealed partial class Shrinker
{
    private long _passes;
    private long _scanned;
    private long _freed;
    private long _errors;
    private long _violations;
    private long _callbackMilliseconds;
    private long _lastCount;

    /// <summary>A snapshot of this shrinker's statistics.</summary>
    /// <returns>Counters since allocation, and whether a callback is running now and for how long.</returns>
    public ShrinkerStatistics GetStatistics()
    {
        int running = CallbackScope.Running(this, out long since);
        TimeSpan? runningFor = null;
        if (running > 0)
        {
            runningFor = TimeSpan.FromMilliseconds(Math.Max(0, Registry.NowMilliseconds() - since));
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
            runningFor)
        {
            LastCount = LastCount,
        };
    }

    /// <summary>What the last visit's count answered (0 for <see cref="Empty"/> or a fault), for the objects gauge.</summary>
    internal long LastCount => Volatile.Read(ref _lastCount);

    /// <summary>The passes counter, read alone (metrics read each counter at collection, without a whole snapshot).</summary>
    internal long PassCount => Volatile.Read(ref _passes);

    /// <summary>The objects-scanned counter, read alone.</summary>
    internal long ScannedCount => Volatile.Read(ref _scanned);

    /// <summary>The objects-freed counter, read alone.</summary>
    internal long FreedCount => Volatile.Read(ref _freed);

    /// <summary>The callback-errors counter, read alone.</summary>
    internal long ErrorCount => Volatile.Read(ref _errors);

    /// <summary>The contract-violations counter, read alone.</summary>
    internal long ViolationCount => Volatile.Read(ref _violations);

    /// <summary>
    /// Remembers what a visit's count answered: one plain store per visit. Visits of concurrent passes race to write it
    /// (accepted: any of their answers is "the last count").
    /// </summary>
    internal void RecordCount(long count) => Volatile.Write(ref _lastCount, count > 0 ? count : 0);

    /// <summary>
    /// Adds the time a pass spent in callbacks, in whole milliseconds of a coarse clock. A visit shorter than a tick
    /// adds 0 or 1 depending on where the tick fell, in proportion to its length, so the sum is an unbiased measure of
    /// the total even though each visit's share is coarse.
    /// </summary>
    internal void AddCallbackTime(long elapsedMilliseconds)
    {
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
