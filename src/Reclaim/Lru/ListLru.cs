using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Lru;

/// <summary>
/// LRU lists for one shrinker's objects, one per node and, for a group-aware shrinker, per memory group (the kernel's
/// <c>list_lru</c>). Most shrinkers are a few lines on top of it: count with <see cref="ShrinkCount(ref ShrinkControl)"/>,
/// scan with <see cref="ShrinkWalk{TState}(ref ShrinkControl, ListLruIsolate{T, TState}, ref TState)"/>.
/// </summary>
/// <typeparam name="T">The items; they carry their own links (<see cref="ListLruItem"/>).</typeparam>
/// <remarks>
/// <para>
/// The first item added to a (group, node) list marks the shrinker's bit in that group
/// (<see cref="Shrinker.MarkHasObjects(MemoryGroup, int)"/>), so group passes find it; removals never clear it (a pass
/// does, lazily, when the count says <see cref="Shrinker.Empty"/>). When a group goes offline its lists are spliced
/// into its parent's, and later adds aimed at it go to its nearest online ancestor.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Each list has its own short lock; counts are read
/// without it. Add, remove and rotate are O(1) and allocate nothing once the item's (group, node) list exists.
/// </para>
/// </remarks>
public sealed class ListLru<T> : IMemoryGroupOfflineHook, IDisposable
    where T : ListLruItem
{
    private readonly LruList[] _rootLists;
    private readonly ConcurrentDictionary<MemoryGroup, LruList[]> _groupLists = new();
    private readonly int _nodeCount;
    private bool _disposed;

    /// <summary>Makes the lists for <paramref name="shrinker"/>'s objects.</summary>
    /// <param name="shrinker">
    /// The shrinker whose callbacks count and walk these lists. Its flags decide the lists: per node when
    /// <see cref="ShrinkerFlags.NodeAware"/>, per group when <see cref="ShrinkerFlags.GroupAware"/>.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="shrinker"/> is <see langword="null"/>.</exception>
    public ListLru(Shrinker shrinker)
    {
        ArgumentNullException.ThrowIfNull(shrinker);
        Shrinker = shrinker;
        _nodeCount = shrinker.IsNodeAware ? shrinker.Registry.NodeCount : 1;
        _rootLists = NewLists(shrinker.Registry.Root);
        if (shrinker.IsGroupAware)
        {
            shrinker.Registry.AddOfflineHook(this);
        }
    }

    /// <summary>The shrinker these lists serve.</summary>
    public Shrinker Shrinker { get; }

    /// <summary>Items on all lists (a snapshot, read without locks).</summary>
    public long Count
    {
        get
        {
            long total = SumCounts(_rootLists);
            foreach (LruList[] lists in _groupLists.Values)
            {
                total += SumCounts(lists);
            }

            return total;
        }
    }

    /// <summary>
    /// Adds <paramref name="item"/> at the hot end of the list for <paramref name="group"/> and <paramref name="node"/>
    /// (<c>list_lru_add</c>). The first item of that list marks the shrinker's bit in the group.
    /// </summary>
    /// <param name="item">The item; it must not be on any list.</param>
    /// <param name="node">The node; 0 unless the shrinker is node-aware.</param>
    /// <param name="group">The group; <see langword="null"/> or any group for a shrinker that is not group-aware (its one list per node); an offline group's nearest online ancestor.</param>
    /// <returns><see langword="true"/> if added; <see langword="false"/> if the item is already on a list.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="item"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of these lists.</exception>
    /// <exception cref="InvalidOperationException">Called from an isolate callback walking the same list.</exception>
    public bool Add(T item, int node = 0, MemoryGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        CheckNode(node);
        while (true)
        {
            LruList list = ListFor(group, node);
            list.ThrowIfWalkedByThisThread();

            // Claim the item for this list: two concurrent Adds of one item into different lists cannot both win.
            if (Interlocked.CompareExchange(ref item.LruOwner, list, null) is not null)
            {
                return false;
            }

            bool first;
            lock (list.Gate)
            {
                if (list.IsDead || !list.Group.IsOnline)
                {
                    // Its group went offline after we looked the list up: the list was spliced (dead), or we made it
                    // afresh after the splice. Retry on the nearest online ancestor's list (IsOnline is now false).
                    // A list made afresh stays empty (every add to it retries like this one) and is left in place:
                    // removing it here could race the offline hook, which must find and splice the original.
                    Volatile.Write(ref item.LruOwner, null);
                    continue;
                }

                list.LinkHot(item);
                first = list.Count == 1;
            }

            if (first)
            {
                // After the item is visible to counts (it is linked and counted): pairs with a pass's Empty recheck.
                Shrinker.MarkHasObjects(list.Group, list.Node);
            }

            return true;
        }
    }

    /// <summary>Takes <paramref name="item"/> off its list (<c>list_lru_del</c>). Never clears the shrinker's bit.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> if it was on a list of these lists; <see langword="false"/> if it was on none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="item"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from an isolate callback walking the same list.</exception>
    public bool Remove(T item) => Unlist(item, relink: false);

    /// <summary>Moves <paramref name="item"/> to the hot end of its list (it was just used).</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether the item was on a list.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="item"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from an isolate callback walking the same list.</exception>
    public bool Rotate(T item) => Unlist(item, relink: true);

    /// <summary>Items on the list for <paramref name="group"/> and <paramref name="node"/>, read without the lock (<c>list_lru_count_one</c>).</summary>
    /// <param name="node">The node.</param>
    /// <param name="group">The group; <see langword="null"/> for the root.</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of these lists.</exception>
    public long CountOf(int node = 0, MemoryGroup? group = null)
    {
        CheckNode(node);
        return ExistingList(group, NodeOf(node))?.Count ?? 0;
    }

    /// <summary>
    /// The count a shrinker's <see cref="Shrinker.CountObjects"/> returns (<c>list_lru_shrink_count</c>): the items of the
    /// control's group and node, or <see cref="Shrinker.Empty"/> when there are none.
    /// </summary>
    /// <param name="control">The control the pass gave the callback.</param>
    /// <returns>The count, or <see cref="Shrinker.Empty"/>.</returns>
    public long ShrinkCount(ref ShrinkControl control)
    {
        long count = ExistingList(control.Group, NodeOf(control.Node))?.Count ?? 0;
        return count > 0 ? count : Shrinker.Empty;
    }

    /// <summary>
    /// Walks the control's list for its <see cref="ShrinkControl.NrToScan"/> items (<c>list_lru_shrink_walk</c>), as a
    /// shrinker's <see cref="Shrinker.ScanObjects"/> does.
    /// </summary>
    /// <typeparam name="TState">The caller's state.</typeparam>
    /// <param name="control">The control the pass gave the callback.</param>
    /// <param name="isolate">Decides about each item.</param>
    /// <param name="state">Passed to <paramref name="isolate"/>.</param>
    /// <returns>The items removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="isolate"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from an isolate callback walking the same list.</exception>
    public long ShrinkWalk<TState>(ref ShrinkControl control, ListLruIsolate<T, TState> isolate, ref TState state)
        where TState : allows ref struct
    {
        long budget = control.NrToScan;
        return Walk(NodeOf(control.Node), control.Group, isolate, ref state, ref budget);
    }

    /// <summary>
    /// Walks one list from the cold end (<c>list_lru_walk_one</c>), calling <paramref name="isolate"/> on up to
    /// <paramref name="nrToWalk"/> items. The budget falls before each call, so <see cref="LruWalkResult.Retry"/> cannot
    /// loop forever.
    /// </summary>
    /// <typeparam name="TState">The caller's state.</typeparam>
    /// <param name="node">The node.</param>
    /// <param name="group">The group; <see langword="null"/> for the root.</param>
    /// <param name="isolate">Decides about each item; see <see cref="ListLruIsolate{T, TState}"/> for what it may do.</param>
    /// <param name="state">Passed to <paramref name="isolate"/>.</param>
    /// <param name="nrToWalk">The budget: items to look at; what is left of it on return.</param>
    /// <returns>The items removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="isolate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of these lists.</exception>
    /// <exception cref="InvalidOperationException">Called from an isolate callback walking the same list.</exception>
    public long Walk<TState>(int node, MemoryGroup? group, ListLruIsolate<T, TState> isolate, ref TState state, ref long nrToWalk)
        where TState : allows ref struct
    {
        ArgumentNullException.ThrowIfNull(isolate);
        CheckNode(node);
        LruList? list = ExistingList(group, NodeOf(node));
        if (list is null || list.Count == 0)
        {
            return 0;
        }

        // A walk nested in an isolate callback of the same list (the monitor is re-entrant) would unlink items under the
        // outer walk, which then unlinks them again from a list they are no longer on.
        list.ThrowIfWalkedByThisThread();
        long removed = 0;
        lock (list.Gate)
        {
            list.BeginWalk();
            try
            {
                ListLruItem? item = list.Head;
                while (item is not null && nrToWalk > 0)
                {
                    // The budget falls before the call (so Retry cannot livelock); the next item is taken before the
                    // call, and stays valid because the callback cannot change the list except through its answer.
                    nrToWalk--;
                    ListLruItem? next = item.LruNext;
                    switch (isolate(Unsafe.As<T>(item), ref state))
                    {
                        case LruWalkResult.Removed:
                            Detach(list, item);
                            removed++;
                            break;
                        case LruWalkResult.RemovedRetry:
                            Detach(list, item);
                            removed++;
                            next = list.Head;
                            break;
                        case LruWalkResult.Rotate:
                            if (!ReferenceEquals(item, list.Tail))
                            {
                                list.Unlink(item);
                                list.LinkHot(item);
                            }

                            break;
                        case LruWalkResult.Skip:
                            break;
                        case LruWalkResult.Retry:
                            next = list.Head;
                            break;
                        default:
                            return removed;
                    }

                    item = next;
                }
            }
            finally
            {
                list.EndWalk();
            }
        }

        return removed;
    }

    /// <summary>Stops following group offlining. Items stay where they are; the lists are not usable afterwards for new groups.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (Shrinker.IsGroupAware)
            {
                Shrinker.Registry.RemoveOfflineHook(this);
            }
        }
    }

    /// <summary>Splices the offline group's lists into its parent's and marks the parent where they were non-empty.</summary>
    void IMemoryGroupOfflineHook.OnGroupOffline(MemoryGroup group, MemoryGroup parent)
    {
        if (!_groupLists.TryRemove(group, out LruList[]? lists))
        {
            return;
        }

        LruList[] parentLists = ListsOf(parent);
        for (int node = 0; node < lists.Length; node++)
        {
            long moved;

            // Lock order: the dying child, then the parent. Adds, removes and walks hold one list at a time, and
            // splices are serialized by the registry's gate, so this order cannot deadlock.
            lock (lists[node].Gate)
            {
                lock (parentLists[node].Gate)
                {
                    moved = lists[node].SpliceInto(parentLists[node]);
                }
            }

            if (moved > 0)
            {
                Shrinker.MarkHasObjects(parent, node);
            }
        }
    }

    /// <summary>Takes an item off its list, and puts it back at the hot end when <paramref name="relink"/> (rotate).</summary>
    private static bool Unlist(T item, bool relink)
    {
        ArgumentNullException.ThrowIfNull(item);
        while (true)
        {
            LruList? list = Volatile.Read(ref item.LruOwner);
            if (list is null)
            {
                return false;
            }

            list.ThrowIfWalkedByThisThread();
            lock (list.Gate)
            {
                // The item may have moved (splice at offline) or left since we read its owner: check under the lock.
                if (!ReferenceEquals(item.LruOwner, list))
                {
                    continue;
                }

                // Claimed by an Add that has not linked it yet: it is not on the list; this call comes first.
                if (!item.LruLinked)
                {
                    return false;
                }

                list.Unlink(item);
                if (relink)
                {
                    list.LinkHot(item);
                }
                else
                {
                    Volatile.Write(ref item.LruOwner, null);
                }

                return true;
            }
        }
    }

    private static long SumCounts(LruList[] lists)
    {
        long total = 0;
        foreach (LruList list in lists)
        {
            total += list.Count;
        }

        return total;
    }

    private static void Detach(LruList list, ListLruItem item)
    {
        list.Unlink(item);
        Volatile.Write(ref item.LruOwner, null);
    }

    private int NodeOf(int node) => _nodeCount == 1 ? 0 : node;

    private void CheckNode(int node)
    {
        if ((uint)node >= (uint)Shrinker.Registry.NodeCount)
        {
            Throw.ArgumentOutOfRange(nameof(node), node, $"The node must be between 0 and {Shrinker.Registry.NodeCount - 1}.");
        }
    }

    private LruList[] NewLists(MemoryGroup group)
    {
        var lists = new LruList[_nodeCount];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = new LruList(group, i);
        }

        return lists;
    }

    /// <summary>The list an add aimed at (group, node) goes to, made on first use.</summary>
    private LruList ListFor(MemoryGroup? group, int node)
    {
        node = NodeOf(node);
        if (group is null || group.IsRoot || !Shrinker.IsGroupAware)
        {
            return _rootLists[node];
        }

        if (!ReferenceEquals(group.Registry, Shrinker.Registry))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry than shrinker '{Shrinker}'.");
        }

        return ListsOf(group.NearestOnline())[node];
    }

    private LruList[] ListsOf(MemoryGroup group) =>
        group.IsRoot ? _rootLists : _groupLists.GetOrAdd(group, static (g, self) => self.NewLists(g), this);

    /// <summary>The list a count or walk of (group, node) reads, or null when none was ever made (so it is empty).</summary>
    private LruList? ExistingList(MemoryGroup? group, int node)
    {
        if (group is null || group.IsRoot || !Shrinker.IsGroupAware)
        {
            return _rootLists[node];
        }

        return _groupLists.TryGetValue(group, out LruList[]? lists) ? lists[node] : null;
    }
}
