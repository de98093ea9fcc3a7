using System.Diagnostics;
using Reclaim.Groups;

namespace Reclaim.Lru;

/// <summary>
/// One LRU list: one group on one node (the kernel's <c>list_lru_one</c>). Items are linked through their own
/// <see cref="ListLruItem"/> fields, cold end at the head, hot end at the tail. Every change happens under
/// <see cref="Gate"/>; <see cref="Count"/> is read without it.
/// </summary>
internal sealed class LruList(MemoryGroup group, int node)
{
    private long _count;

    /// <summary>The thread walking this list now, or 0: a re-entrant Add/Remove from the isolate callback throws.</summary>
    private int _walker;

    /// <summary>A plain monitor (not System.Threading.Lock), so the systematic tests' rewriting can control it.</summary>
    public object Gate { get; } = new();

    public MemoryGroup Group { get; } = group;

    public int Node { get; } = node;

    public ListLruItem? Head { get; private set; }

    public ListLruItem? Tail { get; private set; }

    /// <summary>Set (under the gate) when the list's group went offline and its items moved to the parent's list.</summary>
    public bool IsDead { get; private set; }

    /// <summary>Items on the list, read without the lock (a snapshot: concurrent adds and removes may be in flight).</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Throws when this thread is walking this list (an isolate callback adding, removing or walking it again).</summary>
    public void ThrowIfWalkedByThisThread()
    {
        if (Volatile.Read(ref _walker) == Environment.CurrentManagedThreadId)
        {
            throw new InvalidOperationException(
                "An isolate callback may not add or remove items of the list it is walking, nor walk that list again: answer with an LruWalkResult instead (Removed, Rotate, ...).");
        }
    }

    /// <summary>Links at the hot end. Under the gate; the item has been claimed for this list.</summary>
    public void LinkHot(ListLruItem item)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "LinkHot runs under the list's gate.");
        item.LruNext = null;
        item.LruPrevious = Tail;
        if (Tail is null)
        {
            Head = item;
        }
        else
        {
            Tail.LruNext = item;
        }

        Tail = item;
        item.LruLinked = true;
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>Unlinks. Under the gate; the item is on this list.</summary>
    public void Unlink(ListLruItem item)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Unlink runs under the list's gate.");
        Debug.Assert(ReferenceEquals(item.LruOwner, this) && item.LruLinked, "Unlinking an item from a list it is not on.");
        if (item.LruPrevious is null)
        {
            Head = item.LruNext;
        }
        else
        {
            item.LruPrevious.LruNext = item.LruNext;
        }

        if (item.LruNext is null)
        {
            Tail = item.LruPrevious;
        }
        else
        {
            item.LruNext.LruPrevious = item.LruPrevious;
        }

        item.LruPrevious = null;
        item.LruNext = null;
        item.LruLinked = false;
        Volatile.Write(ref _count, _count - 1);
    }

    // Walks in progress on this thread (an isolate callback may walk another list). While one runs the thread holds a
    // list's lock, so it must not take a group offline: that splices lists under their locks (see MemoryGroup.Offline).
    [ThreadStatic]
    private static int t_walks;

    /// <summary>Whether this thread is inside a walk, that is, in an isolate callback.</summary>
    public static bool IsWalkingOnThisThread => t_walks > 0;

    // _walker pairs only with this thread's own reads in ThrowIfWalkedByThisThread: another thread reading a stale value
    // sees some other thread's id (or 0), never its own, so the check needs no ordering across threads.
    public void BeginWalk()
    {
        t_walks++;
        Volatile.Write(ref _walker, Environment.CurrentManagedThreadId);
    }

    public void EndWalk()
    {
        Volatile.Write(ref _walker, 0);
        t_walks--;
    }

    /// <summary>
    /// Moves every item to the hot end of <paramref name="parent"/> and marks this list dead. Both gates held, this
    /// one first. Returns how many moved.
    /// </summary>
    public long SpliceInto(LruList parent)
    {
        Debug.Assert(Monitor.IsEntered(Gate) && Monitor.IsEntered(parent.Gate), "Splicing holds both gates.");
        long moved = 0;
        for (ListLruItem? item = Head; item is not null;)
        {
            ListLruItem? next = item.LruNext;
            Unlink(item);
            Volatile.Write(ref item.LruOwner, parent);
            parent.LinkHot(item);
            moved++;
            item = next;
        }

        IsDead = true;
        return moved;
    }
}
