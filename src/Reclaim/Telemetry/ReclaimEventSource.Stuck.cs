using System.Runtime.CompilerServices;
using Reclaim.Internal;

namespace Reclaim.Telemetry;

// The stuck-callback monitor: while a session listens to fault events, once a second it looks at every callback
// running on any thread (CallbackScope's frames) and reports the shrinkers whose callbacks have been running longer
// than their registry's threshold. It runs on a timer of its own, not on the reclaimer's thread: that thread may be the
// one stuck. Nothing runs, and nothing is allocated, while nobody listens.
//
// The timer is started by the next pass or reclaimer step after a session turns fault events on (EnsureStuckMonitor),
// never from OnEventCommand: that runs inside the runtime's session-enable path, where starting the timer's thread
// deadlocks the session's start (measured: an in-process EventPipe session never started). It stops itself at its first
// tick after the last such session ends.
public sealed partial class ReclaimEventSource
{
    /// <summary>How often the monitor looks, while it runs.</summary>
    internal static readonly TimeSpan StuckCheckInterval = TimeSpan.FromSeconds(1);

    // Everything below is guarded by _stuckGate: the timer's checks, a test's checks and the commands that start and
    // stop the timer never overlap.
    private readonly object _stuckGate = new();
    private readonly List<(Shrinker Shrinker, long SinceMs)> _frames = [];
    private readonly Dictionary<Shrinker, (int Running, long SinceMs)> _running = [];
    private Dictionary<(Shrinker Shrinker, long SinceMs), long> _dueAt = [];
    private Dictionary<(Shrinker Shrinker, long SinceMs), long> _spareDueAt = [];
    private ITimer? _stuckTimer;

    /// <summary>
    /// One look: writes <c>CallbackStuck</c> for each shrinker whose callbacks have run without a break for at least its
    /// registry's threshold, once when the stretch crosses it and again each time its length doubles (a stretch is
    /// known by its start, so a callback that returns and is called again starts over). Internal for tests, which
    /// call it with a fake clock instead of waiting for the timer.
    /// </summary>
    internal void CheckStuckCallbacks()
    {
        if (!IsFaultsEnabled)
        {
            return;
        }

        lock (_stuckGate)
        {
            // 1. Every frame now, folded per shrinker into how many calls run and since when (the earliest start).
            _frames.Clear();
            _running.Clear();
            CallbackScope.CollectFrames(_frames);
            foreach ((Shrinker shrinker, long since) in _frames)
            {
                _running[shrinker] = _running.TryGetValue(shrinker, out (int Running, long SinceMs) seen)
                    ? (seen.Running + 1, Math.Min(seen.SinceMs, since))
                    : (1, since);
            }

            // 2. Report what is due; keep the next due time of every stretch still running, forget the rest.
            Dictionary<(Shrinker, long), long> kept = _spareDueAt;
            kept.Clear();
            foreach ((Shrinker shrinker, (int running, long since)) in _running)
            {
                long threshold = shrinker.Registry.StuckCallbackThresholdMs;
                long runningFor = shrinker.Registry.NowMilliseconds() - since;
                if (runningFor < threshold)
                {
                    continue;
                }

                long due = _dueAt.TryGetValue((shrinker, since), out long next) ? next : threshold;
                if (runningFor >= due)
                {
                    CallbackStuck(shrinker.Name, shrinker.DebugId, runningFor, running);
                    due = Saturating.Double(runningFor);
                }

                kept[(shrinker, since)] = due;
            }

            (_dueAt, _spareDueAt) = (kept, _dueAt);
            _frames.Clear();
            _running.Clear();
        }
    }

    /// <summary>Whether the monitor's timer runs now (for tests).</summary>
    internal bool IsStuckMonitorRunning => Volatile.Read(ref _stuckTimer) is not null;

    /// <summary>
    /// Starts the monitor if a session listens to fault events and it is not running: called as every pass and every
    /// reclaimer step begins. One field read while the source is off, two more while the monitor runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnsureStuckMonitor()
    {
        // The timer reference is read without the gate: a stale null only sends us to the gate, where it is read again.
        if (IsFaultsEnabled && Volatile.Read(ref _stuckTimer) is null)
        {
            StartStuckMonitor();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StartStuckMonitor()
    {
        lock (_stuckGate)
        {
            if (_stuckTimer is null && IsFaultsEnabled)
            {
                Volatile.Write(ref _stuckTimer, TimeProvider.System.CreateTimer(
                    static state => ((ReclaimEventSource)state!).OnStuckTimer(), this, StuckCheckInterval, StuckCheckInterval));
            }
        }
    }

    /// <summary>A tick: a look while a session listens, else the timer stops itself.</summary>
    private void OnStuckTimer()
    {
        if (IsFaultsEnabled)
        {
            CheckStuckCallbacks();
            return;
        }

        lock (_stuckGate)
        {
            _stuckTimer?.Dispose();
            Volatile.Write(ref _stuckTimer, null);
            _dueAt.Clear();
        }
    }
}
