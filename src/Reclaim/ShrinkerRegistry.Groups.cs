using System.Diagnostics;
using System.Numerics;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim;

// Memory groups and group-aware shrinker ids (the kernel's shrinker_idr and the memcg shrinker_info tables).
public sealed partial class ShrinkerRegistry
{
    private readonly IdAllocator _groupAwareIds = new();
    private readonly Dictionary<long, MemoryGroup> _onlineGroups = [];
    private readonly List<IMemoryGroupOfflineHook> _offlineHooks = [];
    private long _nextGroupId = 2;

    // How many units of 64 ids every online group's table has. Grows (under the gate) before an id beyond it is handed out.
    private int _unitCount = 1;

    // Group-aware shrinkers by id, in chunks of 64 that are never copied: growing copies only the chunk references, so a
    // pass holding the old array still sees every slot change (Volatile.Write of a slot under the gate; Volatile.Read in
    // passes). A slot is set at Alloc, before the shrinker can mark any bit, and cleared when the shrinker is freed.
    private Shrinker?[][] _groupAwareChunks = [new Shrinker?[ShrinkerInfoUnit.Size]];

    /// <summary>Finds an online group by its <see cref="MemoryGroup.Id"/>.</summary>
    /// <param name="id">The group's id; the root's is 1.</param>
    /// <returns>The group, or <see langword="null"/> when no online group has that id.</returns>
    public MemoryGroup? FindGroup(long id)
    {
        lock (Gate)
        {
            return _onlineGroups.GetValueOrDefault(id);
        }
    }

    /// <summary>The group-aware shrinker that holds <paramref name="id"/>, or null.</summary>
    internal Shrinker? FindGroupAware(int id)
    {
        Shrinker?[][] chunks = Volatile.Read(ref _groupAwareChunks);
        int chunk = id / ShrinkerInfoUnit.Size;
        return chunk < chunks.Length ? Volatile.Read(ref chunks[chunk][id % ShrinkerInfoUnit.Size]) : null;
    }

    internal void AddOfflineHook(IMemoryGroupOfflineHook hook)
    {
        lock (Gate)
        {
            _offlineHooks.Add(hook);
        }
    }

    internal void RemoveOfflineHook(IMemoryGroupOfflineHook hook)
    {
        lock (Gate)
        {
            _offlineHooks.Remove(hook);
        }
    }

    internal MemoryGroup CreateGroup(MemoryGroup parent, string name)
    {
        lock (Gate)
        {
            if (!parent.IsOnline)
            {
                Throw.InvalidOperation($"Memory group '{parent.Path}' is offline; it can have no new children.");
            }

            if (parent.HasOnlineChild(name))
            {
                Throw.Argument(nameof(name), $"Memory group '{parent.Path}' already has a child named '{name}'.");
            }

            MemoryGroup child = MemoryGroup.CreateChild(parent, _nextGroupId++, name, _unitCount);
            _onlineGroups.Add(child.Id, child);
            parent.LinkChild(child);
            return child;
        }
    }

    /// <summary>Gives a group-aware shrinker the lowest free id, growing every table first if needed. Under the gate.</summary>
    private int AllocGroupAwareId(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Ids are handed out under the gate.");
        int id = _groupAwareIds.Allocate();
        int unit = id / ShrinkerInfoUnit.Size;
        if (unit >= _unitCount)
        {
            _unitCount = unit + 1;
            foreach (MemoryGroup group in _onlineGroups.Values)
            {
                group.GrowTable(_unitCount);
            }

            Shrinker?[][] chunks = _groupAwareChunks;
            var grown = new Shrinker?[_unitCount][];
            Array.Copy(chunks, grown, chunks.Length);
            for (int i = chunks.Length; i < grown.Length; i++)
            {
                grown[i] = new Shrinker?[ShrinkerInfoUnit.Size];
            }

            Volatile.Write(ref _groupAwareChunks, grown);
        }

        Volatile.Write(ref _groupAwareChunks[unit][id % ShrinkerInfoUnit.Size], shrinker);
        return id;
    }

    /// <summary>Takes a freed group-aware shrinker's id back; its deferred work in every group is dropped. Under the gate.</summary>
    private void ReleaseGroupAwareId(int id)
    {
        Volatile.Write(ref _groupAwareChunks[id / ShrinkerInfoUnit.Size][id % ShrinkerInfoUnit.Size], null);
        foreach (MemoryGroup group in _onlineGroups.Values)
        {
            group.ResetDeferred(id);
        }

        // Its "may have objects" bits are left for passes to clear lazily (a pass finding no shrinker clears the bit).
        _groupAwareIds.Release(id);
    }

    internal void OfflineGroup(MemoryGroup group)
    {
        lock (Gate)
        {
            OfflineSubtree(group);
        }
    }

    /// <summary>Deepest first, so every group reparents into a parent that is still online. Under the gate.</summary>
    private void OfflineSubtree(MemoryGroup group)
    {
        if (!group.IsOnline)
        {
            return;
        }

        // Unlinking a child keeps its node's next link, so this goes on to the next sibling.
        for (RcuListNode<MemoryGroup>? child = group.FirstChildNode; child is not null; child = child.Next)
        {
            OfflineSubtree(child.Item);
        }

        MemoryGroup parent = group.Parent!;

        // 1. Mark offline, then a full fence: a concurrent MarkHasObjects either set its bit before this (and step 2
        //    moves it) or reads IsOnline == false after its own fenced bit-set and marks the ancestor itself.
        group.MarkOffline();
        Interlocked.MemoryBarrier();

        // 2. Bits and deferred work go to the parent; 3. owners of per-group lists splice them into the parent.
        group.ReparentShrinkerInfo(parent);
        foreach (IMemoryGroupOfflineHook hook in _offlineHooks)
        {
            hook.OnGroupOffline(group, parent);
        }

        // 4. Unlink; walkers standing on its node go on through the node's links.
        parent.UnlinkChild(group);
        _onlineGroups.Remove(group.Id);
    }

    /// <summary>
    /// Reclaim for a charge that would take <paramref name="group"/> above its reclaim line (High, or Max while High is
    /// unlimited): priority 12 down to 0 over the group's subtree on every node, stopping as soon as the charge fits.
    /// Allocates nothing.
    /// </summary>
    internal void ReclaimForCharge(MemoryGroup group, long bytes)
    {
        var goal = new ChargeGoal(group, bytes);
        ReclaimUntil(group, ref goal, 0, CancellationToken.None);
    }

    /// <summary>
    /// A group pass (<c>shrink_slab_memcg</c>): only the group-aware shrinkers whose bit is set in this group and node.
    /// Its cost follows the set bits, not the number of registered shrinkers.
    /// </summary>
    private long ShrinkGroup(int node, MemoryGroup group, int priority)
    {
        if (!group.IsOnline)
        {
            return 0;
        }

        long freed = 0;
        long now = NowMilliseconds();

        // 1. Summaries first, then units (see MemoryGroup.ShrinkerInfo): only units whose summary bit is set are read.
        ShrinkerInfoSummary[] summaries = group.GetSummaries(node);
        ShrinkerInfoUnit[] units = group.GetUnits(node);
        for (int w = 0; w < summaries.Length; w++)
        {
            ShrinkerInfoSummary summary = summaries[w];
            ulong unitBits = summary.Bits;
            while (unitBits != 0)
            {
                int unitBit = BitOperations.TrailingZeroCount(unitBits);
                unitBits &= unitBits - 1;
                int u = (w * ShrinkerInfoUnit.Size) + unitBit;
                ShrinkerInfoUnit unit = units[u];
                ulong bits = unit.Bits;
                if (bits == 0)
                {
                    // 2. Lazily clear the summary bit of an empty unit: clear, full fence, re-read. Pairs with SetBit's
                    //    set-unit-bit, fence, set-summary: either we see its unit bit and set the summary back, or its
                    //    summary check comes after our clear and sets it.
                    summary.Clear(unitBit);
                    Interlocked.MemoryBarrier();
                    bits = unit.Bits;
                    if (bits == 0)
                    {
                        continue;
                    }

                    summary.Set(unitBit);
                }

                freed = Saturating.Add(freed, ShrinkUnit(node, group, priority, unit, u * ShrinkerInfoUnit.Size, bits, ref now));
            }
        }

        return freed;
    }

    /// <summary>The set bits of one unit: look each shrinker up, run it, handle Empty.</summary>
    private long ShrinkUnit(int node, MemoryGroup group, int priority, ShrinkerInfoUnit unit, int firstId, ulong bits, ref long now)
    {
        long freed = 0;
        while (bits != 0)
        {
            int bit = BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            SchedulingPoints.Interleave();

            // 3. Look the shrinker up and take a reference. No shrinker (freed), or one being freed: forget the bit.
            //    One allocated but not yet registered keeps its bit: its objects are real and it will be callable soon.
            Shrinker? shrinker = FindGroupAware(firstId + bit);
            if (shrinker is null || !shrinker.TryAcquire())
            {
                if (shrinker is null || shrinker.State != ShrinkerState.Allocated)
                {
                    unit.ClearBit(bit);
                }

                continue;
            }

            try
            {
                long result = DoShrinkSlab(shrinker, node, group, priority, ref now);
                if (result == Shrinker.Empty)
                {
                    // 4. Empty: clear the bit, full fence, ask again. The fence pairs with the one in MarkHasObjects
                    //    (an object is added, then the bit set): either our second count sees the new object and we
                    //    set the bit back, or its bit-set comes after our clear. A group with objects never ends clear.
                    unit.ClearBit(bit);
                    Interlocked.MemoryBarrier();
                    SchedulingPoints.Interleave();
                    result = DoShrinkSlab(shrinker, node, group, priority, ref now);
                    if (result == Shrinker.Empty)
                    {
                        result = 0;
                    }
                    else
                    {
                        unit.SetBit(bit);
                    }
                }

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
}
