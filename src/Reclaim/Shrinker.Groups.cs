using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim;

// Group-aware state: the shrinker's id in the group tables, its "may have objects" bits, its deferred work per group.
public sealed partial class Shrinker
{
    /// <summary>The id in every group's table (the kernel's <c>shrinker->id</c>); -1 when not group-aware.</summary>
    internal int GroupAwareId { get; set; } = -1;

    /// <summary>
    /// Notes that this shrinker may have objects in <paramref name="group"/> on <paramref name="node"/>
    /// (<c>set_shrinker_bit</c>), so group passes over that group visit it. Call it when the first object for that group
    /// and node arrives; <c>ListLru</c> does it for you. It is never cleared by removals: a pass clears it lazily when
    /// the shrinker's count says <see cref="Empty"/>.
    /// </summary>
    /// <param name="group">The group; an offline group's nearest online ancestor is marked instead.</param>
    /// <param name="node">The node; ignored (0) for a shrinker that is not <see cref="ShrinkerFlags.NodeAware"/>.</param>
    /// <remarks>
    /// Does nothing for the root group (root passes call every shrinker) and for shrinkers that are not
    /// <see cref="ShrinkerFlags.GroupAware"/>. Allocates nothing. Call it after the object is visible to
    /// <see cref="CountObjects"/>: it sets the bit with a full fence, which pairs with the fence between a pass's clear
    /// and its second count.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of the registry.</exception>
    public void MarkHasObjects(MemoryGroup group, int node = 0)
    {
        ValidateGroupAndNode(group, node);
        if (!IsGroupAware || State == ShrinkerState.Freed)
        {
            return;
        }

        int nid = IsNodeAware ? node : 0;
        MemoryGroup target = group.NearestOnline();
        while (!target.IsRoot)
        {
            // Set (full fence), then check the group is still online: pairs with OfflineSubtree's mark-offline, fence,
            // move-bits. Either the move sees our bit, or we see offline and mark the next ancestor too.
            target.SetShrinkerBit(nid, GroupAwareId);
            if (target.IsOnline)
            {
                return;
            }

            target = target.NearestOnline();
        }
    }

    /// <summary>The deferred work (objects a pass wanted scanned but could not) carried for <paramref name="node"/>.</summary>
    /// <param name="node">A node of the registry; use 0 for a shrinker that is not <see cref="ShrinkerFlags.NodeAware"/>.</param>
    /// <returns>The objects carried forward to the next root pass on that node (for a group-aware shrinker: in the root group).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node this shrinker keeps.</exception>
    public long GetDeferred(int node) => GetDeferred(node, Registry.Root);

    /// <summary>The deferred work carried for <paramref name="node"/> in <paramref name="group"/>.</summary>
    /// <param name="node">A node of the registry; use 0 for a shrinker that is not <see cref="ShrinkerFlags.NodeAware"/>.</param>
    /// <param name="group">
    /// The group. Shrinkers that are not group-aware keep one deferred count for all groups, returned whatever the
    /// group; for an offline group, 0 (its work moved to its parent).
    /// </param>
    /// <returns>The objects carried forward to the next pass over that group and node.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node this shrinker keeps.</exception>
    public long GetDeferred(int node, MemoryGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if ((uint)node >= (uint)_deferred.Length)
        {
            Throw.ArgumentOutOfRange(nameof(node), node,
                $"Shrinker '{this}' keeps deferred work for nodes 0 to {_deferred.Length - 1}.");
        }

        ValidateGroupAndNode(group, node);
        if (!IsGroupAware)
        {
            return Volatile.Read(ref _deferred[node]);
        }

        return group.IsOnline && State != ShrinkerState.Freed ? Volatile.Read(ref group.DeferredSlot(node, GroupAwareId)) : 0;
    }

    /// <summary>Deferred work summed over nodes and (for a group-aware shrinker) online groups. Allocates nothing.</summary>
    internal long TotalDeferred()
    {
        long total = 0;
        if (!IsGroupAware)
        {
            for (int i = 0; i < _deferred.Length; i++)
            {
                total = Saturating.Add(total, Volatile.Read(ref _deferred[i]));
            }

            return total;
        }

        if (State == ShrinkerState.Freed)
        {
            return 0;
        }

        MemoryGroup root = Registry.Root;
        foreach (MemoryGroup g in root.WalkSubtree())
        {
            if (!g.IsOnline)
            {
                continue;
            }

            for (int node = 0; node < _deferred.Length; node++)
            {
                total = Saturating.Add(total, Volatile.Read(ref g.DeferredSlot(node, GroupAwareId)));
            }
        }

        return total;
    }

    private void ValidateGroupAndNode(MemoryGroup group, int node)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!ReferenceEquals(group.Registry, Registry))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry than shrinker '{this}'.");
        }

        if ((uint)node >= (uint)Registry.NodeCount)
        {
            Throw.ArgumentOutOfRange(nameof(node), node, $"The node must be between 0 and {Registry.NodeCount - 1}.");
        }
    }
}
