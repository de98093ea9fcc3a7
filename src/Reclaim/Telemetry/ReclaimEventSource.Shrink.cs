using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using Reclaim.Groups;

namespace Reclaim.Telemetry;

// The tracepoints around each shrinker a pass runs (mm_shrink_slab_start / mm_shrink_slab_end). Written with
// WriteEventCore over stack-allocated descriptors: the params object[] overload of WriteEvent would box nine values
// into a new array on every visit.
public sealed partial class ReclaimEventSource
{
    /// <summary>
    /// <c>mm_shrink_slab_start</c>, before the first scan of a visit. The caller has checked <see cref="IsShrinkEnabled"/>.
    /// </summary>
    [NonEvent]
    internal void ShrinkStart(Shrinker shrinker, int node, MemoryGroup group, long nrObjectsToShrink, long freeable, long delta, long totalScan, int priority) =>
        ShrinkStart(shrinker.Name, shrinker.DebugId, node, group.Id, nrObjectsToShrink, freeable, delta, totalScan, priority);

    /// <summary><c>mm_shrink_slab_end</c>, after a visit put back its deferred work. The caller has checked <see cref="IsShrinkEnabled"/>.</summary>
    [NonEvent]
    internal void ShrinkEnd(Shrinker shrinker, int node, MemoryGroup group, long freed, long unusedScan, long newScan, long totalScan) =>
        ShrinkEnd(shrinker.Name, shrinker.DebugId, node, group.Id, freed, unusedScan, newScan, totalScan);

    // Opcode Info is set explicitly: a name ending in "Start" would otherwise be made an activity start (and
    // EventSource's activity tracking would wait for a matching "Stop" that never comes).
    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(ShrinkStartId, Version = 1, Level = EventLevel.Verbose, Keywords = Keywords.Shrink, Opcode = EventOpcode.Info,
        Message = "{0}-{1} node {2} group {3}: nr_objects_to_shrink {4}, freeable {5}, delta {6}, total_scan {7}, priority {8}")]
    private unsafe void ShrinkStart(
        string shrinker, int shrinkerId, int node, long groupId, long nrObjectsToShrink, long freeable, long delta, long totalScan, int priority)
    {
        fixed (char* name = shrinker)
        {
            EventData* data = stackalloc EventData[9];
            Set(data, 0, name, SizeOf(shrinker));
            Set(data, 1, &shrinkerId, sizeof(int));
            Set(data, 2, &node, sizeof(int));
            Set(data, 3, &groupId, sizeof(long));
            Set(data, 4, &nrObjectsToShrink, sizeof(long));
            Set(data, 5, &freeable, sizeof(long));
            Set(data, 6, &delta, sizeof(long));
            Set(data, 7, &totalScan, sizeof(long));
            Set(data, 8, &priority, sizeof(int));
            WriteEventCore(ShrinkStartId, 9, data);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(ShrinkEndId, Version = 1, Level = EventLevel.Verbose, Keywords = Keywords.Shrink, Opcode = EventOpcode.Info,
        Message = "{0}-{1} node {2} group {3}: freed {4}, unused_scan {5}, new_scan {6}, total_scan {7}")]
    private unsafe void ShrinkEnd(
        string shrinker, int shrinkerId, int node, long groupId, long freed, long unusedScan, long newScan, long totalScan)
    {
        fixed (char* name = shrinker)
        {
            EventData* data = stackalloc EventData[8];
            Set(data, 0, name, SizeOf(shrinker));
            Set(data, 1, &shrinkerId, sizeof(int));
            Set(data, 2, &node, sizeof(int));
            Set(data, 3, &groupId, sizeof(long));
            Set(data, 4, &freed, sizeof(long));
            Set(data, 5, &unusedScan, sizeof(long));
            Set(data, 6, &newScan, sizeof(long));
            Set(data, 7, &totalScan, sizeof(long));
            WriteEventCore(ShrinkEndId, 8, data);
        }
    }

    /// <summary>One payload field: where it is and how many bytes it has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Set(EventData* data, int index, void* value, int size)
    {
        // A whole new descriptor: its reserved field is zero whatever the stack held.
        data[index] = new EventData { DataPointer = (nint)value, Size = size };
    }

    /// <summary>A string field's size: its characters and the terminating null.</summary>
    private static int SizeOf(string value) => (value.Length + 1) * sizeof(char);
}
