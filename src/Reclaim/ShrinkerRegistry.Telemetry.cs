using System.Diagnostics;
using System.Runtime.CompilerServices;
using Reclaim.Groups;
using Reclaim.Telemetry;

namespace Reclaim;

// The duration histograms of the ReclaimMetrics attached to this registry. The attached metrics are an array replaced
// under the gate (copy-on-write) and read by passes without a lock. Nothing is timed unless a listener has enabled a
// histogram: the check is one array read and, per attached metrics, one field read. Recording allocates nothing: the
// tag is a cached string in a struct.
public sealed partial class ShrinkerRegistry
{
    private ReclaimMetrics[] _metrics = [];

    /// <summary>Starts recording pass and callback durations into <paramref name="metrics"/>' histograms.</summary>
    internal void AttachMetrics(ReclaimMetrics metrics)
    {
        lock (Gate)
        {
            // Release: a pass that reads the new array sees the metrics' instruments.
            Volatile.Write(ref _metrics, [.. _metrics, metrics]);
        }
    }

    /// <summary>Stops recording into <paramref name="metrics"/>; a pass that read the array before may record once more.</summary>
    internal void DetachMetrics(ReclaimMetrics metrics)
    {
        lock (Gate)
        {
            Volatile.Write(ref _metrics, Array.FindAll(_metrics, m => !ReferenceEquals(m, metrics)));
        }
    }

    /// <summary>
    /// One pass (<c>shrink_slab</c> over one node and group at one priority), timed into <c>reclaim.pass.duration</c>
    /// while a listener has enabled it. It also starts the stuck-callback monitor when a session has just asked for it.
    /// </summary>
    private long ShrinkOne(int node, MemoryGroup group, int priority)
    {
        // Callbacks are about to run: if a session listens for stuck ones, make sure someone looks.
        ReclaimEventSource.Log.EnsureStuckMonitor();
        ReclaimMetrics[] metrics = Volatile.Read(ref _metrics);
        if (!AnyEnabled(metrics, callbacks: false))
        {
            return ShrinkOneUntimed(node, group, priority);
        }

        long start = Timestamp();
        long freed = ShrinkOneUntimed(node, group, priority);
        double seconds = SecondsSince(start);
        var tag = new KeyValuePair<string, object?>(ReclaimMetrics.GroupTag, group.Path);
        foreach (ReclaimMetrics m in metrics)
        {
            m.RecordPass(seconds, tag);
        }

        return freed;
    }

    /// <summary>Whether scans should be timed: some attached metrics' <c>reclaim.callback.duration</c> is enabled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsCallbackTimed() => AnyEnabled(Volatile.Read(ref _metrics), callbacks: true);

    /// <summary>A scan call timed into <c>reclaim.callback.duration</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long TimedScan(Shrinker shrinker, ref ShrinkControl control)
    {
        long start = Timestamp();
        long result = Scan(shrinker, ref control);
        double seconds = SecondsSince(start);
        var tag = new KeyValuePair<string, object?>(ReclaimMetrics.ShrinkerTag, shrinker.DebugName);
        foreach (ReclaimMetrics m in Volatile.Read(ref _metrics))
        {
            m.RecordCallback(seconds, tag);
        }

        return result;
    }

    private static bool AnyEnabled(ReclaimMetrics[] metrics, bool callbacks)
    {
        foreach (ReclaimMetrics m in metrics)
        {
            if (callbacks ? m.CallbackDurationEnabled : m.PassDurationEnabled)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The registry's precise clock: <see cref="Stopwatch"/> for the system clock, else the time provider's.</summary>
    private long Timestamp() => _systemClock ? Stopwatch.GetTimestamp() : _timeProvider.GetTimestamp();

    private double SecondsSince(long start) => (Timestamp() - start) / (double)_timeProvider.TimestampFrequency;
}
