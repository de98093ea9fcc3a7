using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// Logs what the core reports through its diagnostics hook: shrinker callbacks that throw or break the contract, groups
/// uncharged below zero (Warning), and reclaimer failures (Error).
/// </summary>
/// <remarks>
/// Called on the reclaim path, from any thread, concurrently: it checks the level first (nothing is formatted when
/// nobody listens) and never throws. A broken shrinker faults on every pass, and background reclaim makes many passes a
/// second under pressure, so each shrinker's faults are logged at most once per <see cref="RepeatInterval"/>; the next
/// report says how many were left out.
/// </remarks>
internal sealed class LoggingDiagnostics(ILogger logger, TimeProvider time) : ReclaimDiagnostics
{
    /// <summary>The shortest time between two logged faults of one shrinker.</summary>
    internal static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(10);

    // One throttle per shrinker, dropped with the shrinker (a weak key: the table never keeps a freed shrinker alive).
    private readonly ConditionalWeakTable<Shrinker, Throttle> _throttles = [];

    public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception)
    {
        try
        {
            if (logger.IsEnabled(LogLevel.Warning) && ShouldLog(shrinker, out long suppressed))
            {
                Log.ShrinkerCallbackFailed(logger, exception, shrinker.ToString(), kind, suppressed);
            }
        }
#pragma warning disable CA1031 // The hook runs on the reclaim path and must not throw (a failing logging provider included).
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value)
    {
        try
        {
            if (logger.IsEnabled(LogLevel.Warning) && ShouldLog(shrinker, out long suppressed))
            {
                Log.ShrinkerContractViolated(logger, shrinker.ToString(), kind, value, suppressed);
            }
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes)
    {
        try
        {
            if (logger.IsEnabled(LogLevel.Warning))
            {
                Log.GroupUnchargeUnderflow(logger, group.Path, bytes, usage);
            }
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public override void ReclaimerFailed(Exception exception)
    {
        try
        {
            Log.ReclaimerFailed(logger, exception);
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Whether this fault of <paramref name="shrinker"/> is logged: the first one, and then one per
    /// <see cref="RepeatInterval"/>. <paramref name="suppressed"/> is how many were left out since the last logged one.
    /// </summary>
    private bool ShouldLog(Shrinker shrinker, out long suppressed)
    {
        Throttle throttle = _throttles.GetValue(shrinker, static _ => new Throttle());
        long now = time.GetTimestamp();

        // 1. Within the interval of the last report: count it and stay quiet.
        long last = Volatile.Read(ref throttle.LastLogged);
        if (last != Throttle.Never && time.GetElapsedTime(last, now) < RepeatInterval)
        {
            Interlocked.Increment(ref throttle.Suppressed);
            suppressed = 0;
            return false;
        }

        // 2. Due: one thread wins the CAS and reports; a thread that loses it raced a report of the same moment, so its
        //    fault counts as left out of that report (or of the next one, if the winner already took the count: the
        //    accepted race only moves one fault between two reports).
        if (Interlocked.CompareExchange(ref throttle.LastLogged, now, last) != last)
        {
            Interlocked.Increment(ref throttle.Suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref throttle.Suppressed, 0);
        return true;
    }

    private sealed class Throttle
    {
        public const long Never = long.MinValue;

        public long LastLogged = Never;

        public long Suppressed;
    }
}
