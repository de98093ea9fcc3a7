using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;
using Reclaim.Pressure;

namespace Reclaim.Telemetry;

// The reclaimer's events: level changes and background runs, written on the reclaimer's thread where it raises its own
// PressureChanged and RunCompleted.
public sealed partial class ReclaimEventSource
{
    /// <summary>Writes <c>PressureChanged</c> if a session listens.</summary>
    [NonEvent]
    internal void OnPressureChanged(MemoryPressureLevel previous, MemoryPressureLevel current, long usageBytes, long limitBytes)
    {
        if (IsEnabled() && IsEnabled(EventLevel.Informational, Keywords.Pressure))
        {
            PressureChanged((int)previous, (int)current, usageBytes, limitBytes);
        }
    }

    /// <summary>Writes <c>ReclaimRun</c> if a session listens.</summary>
    [NonEvent]
    internal void OnReclaimRun(in ReclaimRun run)
    {
        if (IsEnabled() && IsEnabled(EventLevel.Informational, Keywords.Runs))
        {
            ReclaimRun(
                run.Trigger ?? string.Empty, (int)run.Level, run.UsageBytes, run.LimitBytes, run.TargetBytes, run.Result.BytesFreed, run.Result.ObjectsFreed,
                run.Result.LowestPriority, run.Result.TargetMet, run.InducedCollection, run.ReactionTime.TotalMilliseconds, run.Duration.TotalMilliseconds);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(PressureChangedId, Version = 1, Level = EventLevel.Informational, Keywords = Keywords.Pressure,
        Message = "Memory pressure {0} -> {1}: usage {2} of {3} bytes")]
    private unsafe void PressureChanged(int previousLevel, int level, long usageBytes, long limitBytes)
    {
        EventData* data = stackalloc EventData[4];
        Set(data, 0, &previousLevel, sizeof(int));
        Set(data, 1, &level, sizeof(int));
        Set(data, 2, &usageBytes, sizeof(long));
        Set(data, 3, &limitBytes, sizeof(long));
        WriteEventCore(PressureChangedId, 4, data);
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(ReclaimRunId, Version = 1, Level = EventLevel.Informational, Keywords = Keywords.Runs,
        Message = "Reclaim run ({0}, level {1}): usage {2} of {3} bytes, target {4}; freed {5} bytes and {6} objects down to priority {7}, " +
                  "target met {8}, induced collection {9}; {10} ms after the signal, took {11} ms")]
    private unsafe void ReclaimRun(
        string trigger, int level, long usageBytes, long limitBytes, long targetBytes, long freedBytes, long freedObjects, int lowestPriority,
        bool targetMet, bool inducedCollection, double reactionMs, double durationMs)
    {
        // An event's bool is a 32-bit value on the wire (Win32 BOOL), not the CLR's one byte.
        int met = targetMet ? 1 : 0;
        int induced = inducedCollection ? 1 : 0;
        fixed (char* source = trigger)
        {
            EventData* data = stackalloc EventData[12];
            Set(data, 0, source, SizeOf(trigger));
            Set(data, 1, &level, sizeof(int));
            Set(data, 2, &usageBytes, sizeof(long));
            Set(data, 3, &limitBytes, sizeof(long));
            Set(data, 4, &targetBytes, sizeof(long));
            Set(data, 5, &freedBytes, sizeof(long));
            Set(data, 6, &freedObjects, sizeof(long));
            Set(data, 7, &lowestPriority, sizeof(int));
            Set(data, 8, &met, sizeof(int));
            Set(data, 9, &induced, sizeof(int));
            Set(data, 10, &reactionMs, sizeof(double));
            Set(data, 11, &durationMs, sizeof(double));
            WriteEventCore(ReclaimRunId, 12, data);
        }
    }
}
