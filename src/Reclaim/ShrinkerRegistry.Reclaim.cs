using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim;

/// <summary>
/// When a reclaim loop may stop, checked after every group it shrinks (<see cref="IsMet"/>) and after every priority
/// (<see cref="AfterPriority"/>). A struct passed by reference, so the loop is generic over it and allocates nothing.
/// </summary>
internal interface IReclaimGoal
{
    /// <summary>Whether enough was freed. Cheap: called after every group shrunk.</summary>
    /// <param name="objectsFreed">Objects freed so far in this reclaim.</param>
    bool IsMet(long objectsFreed);

    /// <summary>Called once a priority has been applied to every group; may re-measure (or induce a collection).</summary>
    /// <param name="priority">The priority just finished.</param>
    /// <param name="objectsFreed">Objects freed so far in this reclaim.</param>
    /// <param name="objectsCounted">Objects the shrinkers counted during this priority (what they held before it).</param>
    void AfterPriority(int priority, long objectsFreed, long objectsCounted);
}

// The reclaim loop shared by charges above High, direct reclaim and the background reclaimer (the kernel's
// shrink_node/shrink_node_memcgs driving shrink_slab).
public sealed partial class ShrinkerRegistry
{
    /// <summary>
    /// Priority <see cref="DefaultPriority"/> down to <paramref name="lowestPriority"/> over <paramref name="scope"/> and
    /// its online descendants (pre-order: the scope first), on every node, until <paramref name="goal"/> is met.
    /// Allocates nothing.
    /// </summary>
    /// <remarks>
    /// Protection, as the kernel's <c>memory.low</c>: a descendant with a finite <see cref="MemoryGroup.High"/> that it
    /// is within is living inside its own budget, and the first sweep passes it by. Only when that sweep ends with the
    /// goal unmet and some group was passed by does a second sweep start again at the gentlest priority with every
    /// group included (the kernel's <c>memcg_low_reclaim</c> retry). The scope itself is never passed by: it is the group
    /// reclaim was asked of.
    /// <para>
    /// Runs in a <see cref="ReclaimScope"/>: charges made by callbacks meanwhile do not start a nested reclaim, and the
    /// bytes callbacks uncharge on this thread are what the result reports freed (<see cref="ReclaimScope.Uncharged"/>),
    /// whatever other threads charge meanwhile.
    /// </para>
    /// </remarks>
    internal ReclaimResult ReclaimUntil<TGoal>(MemoryGroup scope, ref TGoal goal, int lowestPriority, CancellationToken cancellationToken)
        where TGoal : struct, IReclaimGoal
    {
        long unchargedBefore = ReclaimScope.Uncharged;
        long objects = 0;
        int reached = -1;
        bool met = goal.IsMet(0);
        ReclaimScope.Enter();
        ReclaimScope.TakeFreeable();
        try
        {
            bool protect = true;
            while (!met)
            {
                bool passedBy = false;
                for (int priority = DefaultPriority; priority >= lowestPriority && !met; priority--)
                {
                    reached = Math.Min(reached < 0 ? priority : reached, priority);
                    met = ShrinkPriority(scope, ref goal, priority, protect, ref objects, ref passedBy, cancellationToken);
                    long counted = ReclaimScope.TakeFreeable();
                    if (!met)
                    {
                        goal.AfterPriority(priority, objects, counted);
                        met = goal.IsMet(objects);
                    }
                }

                if (met || !protect || !passedBy || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                protect = false;
            }
        }
        finally
        {
            ReclaimScope.Exit();
        }

        long freed = ReclaimScope.Uncharged - unchargedBefore;
        if (freed > 0)
        {
            Interlocked.Add(ref _bytesReclaimed, freed);
        }

        return new ReclaimResult(freed, objects, reached, met);
    }

    // Charged bytes every reclaim of this registry has freed, ever (background, direct, by charges): the reclaimer's
    // measure of the garbage reclaim left behind since a collection. A counter only: Interlocked.Add by reclaiming
    // threads, Volatile.Read by the reclaimer's thread; no other memory is published through it.
    private long _bytesReclaimed;

    /// <summary>Charged bytes every reclaim of this registry has freed so far (what its callbacks uncharged).</summary>
    internal long BytesReclaimed => Volatile.Read(ref _bytesReclaimed);

    // Set once, for good: a scan inside reclaim freed objects and uncharged nothing. A sticky flag with no data behind
    // it: the volatile write by a reclaiming thread pairs with the reclaimer thread's volatile read, and a step that reads
    // it a little late decides on the estimate once more, as it would have a moment before.
    private volatile bool _freesWithoutCharge;

    /// <summary>
    /// Whether a shrinker's scan inside reclaim has ever freed objects without uncharging anything on the reclaiming thread:
    /// the process has holders that do not charge what they hold (a <c>MemoryCacheShrinker</c>, say), whose growth only
    /// the usage reading shows.
    /// </summary>
    internal bool HasFreedWithoutCharge => _freesWithoutCharge;

    private void NoteFreesWithoutCharge()
    {
        if (!_freesWithoutCharge)
        {
            _freesWithoutCharge = true;
        }
    }

    /// <summary>One priority over every node and group of the scope; true as soon as the goal is met.</summary>
    private bool ShrinkPriority<TGoal>(
        MemoryGroup scope, ref TGoal goal, int priority, bool protect, ref long objects, ref bool passedBy, CancellationToken cancellationToken)
        where TGoal : struct, IReclaimGoal
    {
        for (int node = 0; node < NodeCount; node++)
        {
            foreach (MemoryGroup group in scope.WalkSubtree())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!group.IsOnline)
                {
                    continue;
                }

                if (protect && !ReferenceEquals(group, scope) && IsWithinBudget(group))
                {
                    passedBy = true;
                    continue;
                }

                objects = Saturating.Add(objects, ShrinkOne(node, group, priority));
                if (goal.IsMet(objects))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A group with a budget of its own (a finite High) that it keeps to.</summary>
    private static bool IsWithinBudget(MemoryGroup group)
    {
        long high = group.High;
        return high != MemoryGroup.Unlimited && group.Usage <= high;
    }

    /// <summary>Stops once a charge of <see cref="_bytes"/> fits under the group's reclaim line.</summary>
    private readonly struct ChargeGoal(MemoryGroup group, long bytes) : IReclaimGoal
    {
        private readonly long _bytes = bytes;

        public bool IsMet(long objectsFreed) => Saturating.Add(group.Usage, _bytes) <= group.ReclaimLine;

        public void AfterPriority(int priority, long objectsFreed, long objectsCounted)
        {
        }
    }
}
