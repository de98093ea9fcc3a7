using System.Runtime.CompilerServices;
using Reclaim.Groups;
using Reclaim.Internal;
using Reclaim.Telemetry;

namespace Reclaim;

// One pass: shrink_slab and do_shrink_slab. Nothing here allocates on the managed heap: the control lives on the
// stack, the walk follows links, counters are Interlocked fields.
public sealed partial class ShrinkerRegistry
{
    /// <summary>The lowest reclaim priority: a pass at this priority scans 1/4096 of each shrinker (<c>DEF_PRIORITY</c>).</summary>
    public const int DefaultPriority = 12;

    // A count above this is taken as this: keeps 4 * count and 2 * count + deferred far from overflow.
    private const long MaxFreeable = long.MaxValue / 8;

    /// <summary>
    /// Runs one pass (<c>shrink_slab</c>): asks every registered shrinker to free a share of its objects that grows as
    /// <paramref name="priority"/> falls, and carries forward the work it could not do.
    /// </summary>
    /// <param name="node">The node to reclaim from, 0 to <see cref="NodeCount"/> - 1. Shrinkers that are not node-aware are called with node 0.</param>
    /// <param name="group">
    /// The memory group to reclaim from: <see langword="null"/> or <see cref="Root"/> for a root (global) pass over every
    /// registered shrinker; another group for a group pass over the group-aware shrinkers that have objects in it (an
    /// offline group: nothing). Only that group, not its children.
    /// </param>
    /// <param name="priority">
    /// How hard to try, <see cref="DefaultPriority"/> (12: a shrinker of n objects is asked for about n/4096 scaled by its
    /// seeks) down to 0 (asked for up to twice its objects).
    /// </param>
    /// <returns>The objects the shrinkers reported freeing.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> or <paramref name="priority"/> is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry.</exception>
    public long ShrinkSlab(int node, MemoryGroup? group, int priority)
    {
        if ((uint)node >= (uint)NodeCount)
        {
            Throw.ArgumentOutOfRange(nameof(node), node, $"The node must be between 0 and {NodeCount - 1} (the registry's NodeCount is {NodeCount}).");
        }

        if ((uint)priority > DefaultPriority)
        {
            Throw.ArgumentOutOfRange(nameof(priority), priority, $"The priority must be between 0 (reclaim hardest) and {DefaultPriority} (gentlest).");
        }

        group ??= Root;
        if (!ReferenceEquals(group.Registry, this))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry.");
        }

        return ShrinkOne(node, group, priority);
    }

    /// <summary>
    /// Frees as much as every shrinker will give (<c>drop_slab</c>): rounds of priority-0 passes over every node and
    /// every online group until a round frees little. The bar doubles each round (a round must free more than 2^k objects for round
    /// k+1 to run), so it always ends, even while shrinkers keep refilling.
    /// </summary>
    /// <returns>The objects freed over all rounds.</returns>
    public long DropCaches() => DropCaches(CancellationToken.None);

    /// <summary>Does what <see cref="DropCaches()"/> does, checking <paramref name="cancellationToken"/> before each pass.</summary>
    /// <param name="cancellationToken">Stops the rounds between passes.</param>
    /// <returns>The objects freed over all rounds.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public long DropCaches(CancellationToken cancellationToken)
    {
        long total = 0;
        int shift = 0;
        long freed;
        do
        {
            freed = 0;
            for (int node = 0; node < NodeCount; node++)
            {
                foreach (MemoryGroup group in Root.WalkSubtree())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (group.IsOnline)
                    {
                        freed = Saturating.Add(freed, ShrinkOne(node, group, 0));
                    }
                }
            }

            total = Saturating.Add(total, freed);
        }
        while (shift < 63 && (freed >> shift++) > 1);

        return total;
    }

    /// <summary>A root pass or a group pass, by the group (<see cref="ShrinkOne"/> times it when a histogram listens).</summary>
    private long ShrinkOneUntimed(int node, MemoryGroup group, int priority) =>
        group.IsRoot ? ShrinkRoot(node, group, priority) : ShrinkGroup(node, group, priority);

    /// <summary>The root pass: every registered shrinker, lock-free.</summary>
    private long ShrinkRoot(int node, MemoryGroup group, int priority)
    {
        long freed = 0;
        long now = NowMilliseconds();

        // 1. Start from the head; each link is read with acquire semantics (pairs with RcuList.Append's release store).
        for (RcuListNode<Shrinker>? listNode = Volatile.Read(ref _head); listNode is not null; listNode = listNode.Next)
        {
            SchedulingPoints.Interleave();
            Shrinker shrinker = listNode.Item;

            // 2. Take a reference, or skip a shrinker that is not yet published or is being freed.
            if (!shrinker.TryAcquire())
            {
                continue;
            }

            // 3. Run it with no lock held. 4. Drop the reference; the drop that reaches 0 wakes a waiting Free.
            //    The shrinker may be unlinked as soon as we drop it; its node's next link stays valid (see Internal/RcuList).
            try
            {
                long result = DoShrinkSlab(shrinker, node, group, priority, ref now);
                if (result > 0)
                {
                    freed = Saturating.Add(freed, result);
                }
            }
            finally
            {
                shrinker.Release();
            }
        }

        return freed;
    }

    /// <summary>
    /// One shrinker, one pass (<c>do_shrink_slab</c>), exactly as the kernel computes it. The caller holds a reference.
    /// Returns the objects freed, 0, or <see cref="Shrinker.Empty"/>.
    /// </summary>
    /// <param name="shrinker">The shrinker, with a reference held.</param>
    /// <param name="node">The node of the pass.</param>
    /// <param name="group">The group of the pass.</param>
    /// <param name="priority">The priority of the pass.</param>
    /// <param name="now">
    /// The clock (<see cref="NowMilliseconds"/>) when the visit starts; updated to when it ends. A pass reads the clock
    /// once per shrinker: the end of one visit is the start of the next.
    /// </param>
    internal long DoShrinkSlab(Shrinker shrinker, int node, MemoryGroup group, int priority, ref long now)
    {
        int nid = shrinker.IsNodeAware ? node : 0;
        var control = new ShrinkControl { Node = nid, Group = group };

        long start = now;
        CallbackScope.Enter(shrinker, start);
        long scanned = 0;
        long freed = 0;
        try
        {
            long freeable = Count(shrinker, ref control);
            shrinker.RecordCount(freeable);
            if (freeable == 0 || freeable == Shrinker.Empty)
            {
                return freeable;
            }

            freeable = Math.Min(freeable, MaxFreeable);
            ReclaimScope.CountFreeable(freeable);

            // What this thread has uncharged so far: a scan that frees objects and adds nothing to it does not charge.
            long unchargedBefore = ReclaimScope.Uncharged;

            // Take the deferred work so that concurrent passes do not also do it. Group-aware shrinkers keep it per
            // group and node, in the group's table; the others per node, in the shrinker.
            ref long deferred = ref shrinker.IsGroupAware
                ? ref group.DeferredSlot(nid, shrinker.GroupAwareId)
                : ref shrinker.DeferredSlot(nid);
            long nr = Interlocked.Exchange(ref deferred, 0);

            // Objects that are cheap to re-create (seeks 0) are trimmed hard: half of them on every pass.
            long delta = shrinker.Seeks != 0
                ? Saturating.Times4(freeable >> priority) / shrinker.Seeks
                : freeable / 2;

            long cap = 2 * freeable;
            long totalScan = Math.Min(Saturating.Add(nr >> priority, delta), cap);
            long batch = shrinker.EffectiveBatch;

            // mm_shrink_slab_start. While no session asks for the per-shrinker events this is one field read, and no
            // payload is built; likewise scans are timed only while a listener has enabled reclaim.callback.duration.
            ReclaimEventSource events = ReclaimEventSource.Log;
            bool traced = events.IsShrinkEnabled;
            if (traced)
            {
                events.ShrinkStart(shrinker, nid, group, nr, freeable, delta, totalScan, priority);
            }

            bool timed = IsCallbackTimed();

            // Scan at least a batch at a time, except when the whole cache is smaller than the work asked: then we are
            // tight on memory (low priority) and try everything rather than leave small caches untouched.
            while (totalScan >= batch || totalScan >= freeable)
            {
                long nrToScan = Math.Min(batch, totalScan);
                control.NrToScan = nrToScan;
                control.NrScanned = nrToScan;
                control.TotalScan = totalScan;
                long result = timed ? TimedScan(shrinker, ref control) : Scan(shrinker, ref control);
                if (result == Shrinker.Stop)
                {
                    break;
                }

                freed = Saturating.Add(freed, result);
                long nrScanned = control.NrScanned;
                if (nrScanned <= 0)
                {
                    // No progress: the kernel would ask again forever. End this shrinker's scan for the pass.
                    break;
                }

                totalScan -= nrScanned;
                scanned = Saturating.Add(scanned, nrScanned);
            }

            // Deferred work grows by the new work not done and shrinks by old work done, capped at twice the objects.
            long nextDeferred = Math.Clamp(Saturating.Add(nr, delta) - scanned, 0, cap);
            long newDeferred = 0;
            if (nextDeferred != 0)
            {
                newDeferred = Interlocked.Add(ref deferred, nextDeferred);
            }
            else if (traced)
            {
                // The kernel's new_scan is the counter after the add, concurrent passes' shares included.
                newDeferred = Volatile.Read(ref deferred);
            }

            // mm_shrink_slab_end.
            if (traced)
            {
                events.ShrinkEnd(shrinker, nid, group, freed, nr, newDeferred, totalScan);
            }

            if (freed > 0 && ReclaimScope.IsActive && ReclaimScope.Uncharged == unchargedBefore)
            {
                NoteFreesWithoutCharge();
            }

            return freed;
        }
        finally
        {
            shrinker.RecordPass(scanned, freed);
            now = NowMilliseconds();
            CallbackScope.Exit();
            shrinker.AddCallbackTime(now - start);
        }
    }

    /// <summary>Calls the count callback; a throw or an answer outside the contract counts as 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Count(Shrinker shrinker, ref ShrinkControl control)
    {
        long count;
        try
        {
            count = shrinker.CountObjects!(shrinker, ref control);
        }
#pragma warning disable CA1031 // A callback that throws must not break reclaim for the others: every exception is caught and reported.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            shrinker.RecordError();
            Reporter.CallbackFailed(shrinker, ShrinkerCallbackKind.Count, ex);
            return 0;
        }

        if (count < 0 && count != Shrinker.Empty)
        {
            shrinker.RecordViolation();
            Reporter.ContractViolated(shrinker, ShrinkerCallbackKind.Count, count);
            return 0;
        }

        return count;
    }

    /// <summary>Calls the scan callback; a throw or an answer outside the contract counts as <see cref="Shrinker.Stop"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Scan(Shrinker shrinker, ref ShrinkControl control)
    {
        long freed;
        try
        {
            freed = shrinker.ScanObjects!(shrinker, ref control);
        }
#pragma warning disable CA1031 // See Count.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            shrinker.RecordError();
            Reporter.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, ex);
            return Shrinker.Stop;
        }

        if (freed < 0 && freed != Shrinker.Stop)
        {
            shrinker.RecordViolation();
            Reporter.ContractViolated(shrinker, ShrinkerCallbackKind.Scan, freed);
            return Shrinker.Stop;
        }

        return freed;
    }
}
