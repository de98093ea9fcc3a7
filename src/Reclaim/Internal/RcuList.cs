using System.Diagnostics;

namespace Reclaim.Internal;

/// <summary>
/// A link of an <see cref="RcuList"/>: the list is made of these, not of the items, so that a removed item keeps no
/// link into the list. An item references its node only while the node is linked; a node is linked once and never
/// reused.
/// </summary>
/// <typeparam name="T">The listed item.</typeparam>
/// <remarks>
/// Why separate nodes: removal leaves the removed link's next pointer intact for readers standing on it (see
/// <see cref="RcuList"/>). When the items were their own links, a removed item that its owner still held kept its next
/// item reachable, that one (removed later) its next, and so on: one retained item retained every item removed after
/// it, and all they referenced. Now a removed node is referenced only by readers standing on it (on their stacks), so
/// it, and the stale chain behind it, is garbage once they move on: the garbage collector is the grace period.
/// </remarks>
internal sealed class RcuListNode<T>
    where T : class
{
    private RcuListNode<T>? _next;

    /// <summary>Makes the node of <paramref name="item"/>. Allocated by the writer that links it (not on reclaim paths).</summary>
    /// <param name="item">The item the node lists.</param>
    /// <param name="parent">For trees (memory groups): the node of the item's parent, or null for the root's children. Never changes.</param>
    public RcuListNode(T item, RcuListNode<T>? parent = null)
    {
        Item = item;
        Parent = parent;
    }

    /// <summary>The listed item. Never changes, not even once the node is removed: a reader standing on it reads it.</summary>
    public T Item { get; }

    /// <summary>
    /// For tree walks: the node of the item's parent when the node was made (null for the root's children), so a walk
    /// standing on a removed node climbs through nodes even if the parent item has dropped its own node since.
    /// </summary>
    /// <remarks>
    /// Not a retention path: a linked node's parent is linked (children are removed before their parent), and a removed
    /// node is referenced only by readers standing on it.
    /// </remarks>
    public RcuListNode<T>? Parent { get; }

    /// <summary>The next node, read with acquire semantics (pairs with the writers' release stores). Read by readers with no lock.</summary>
    public RcuListNode<T>? Next => Volatile.Read(ref _next);

    /// <summary>Written and read by writers under their gate only: readers never walk backwards. Null once removed.</summary>
    internal RcuListNode<T>? Previous { get; set; }

    /// <summary>Writers only, under their gate: a release store, so a reader that loads the link sees the node's fields.</summary>
    internal void SetNext(RcuListNode<T>? next) => Volatile.Write(ref _next, next);
}

/// <summary>
/// The kernel's RCU list (<c>list_add_tail_rcu</c>, <c>list_del_rcu</c>) with the garbage collector as the grace period.
/// Writers serialize on a gate of their own and change the list in O(1); readers walk from the head through
/// <see cref="RcuListNode{T}.Next"/> without any lock and without allocating.
/// </summary>
/// <remarks>
/// <para>
/// What a reader may see, and why each is harmless for the lists that use this:
/// a node appended after the reader passed the old tail is not visited (it is new; the next walk sees it);
/// a node removed while the reader stands on it keeps its own next link, so the reader walks on to live nodes;
/// a removed node reached through a stale link is visited once more, so readers check the item's own state.
/// </para>
/// <para>
/// Why a reader standing on a removed node reaches every node linked throughout its walk: nodes are only appended at
/// the tail and removed, so the list keeps one order. At its removal a node's next link is the next node linked at that
/// moment, which is at or before any later node linked throughout. Following next links from a removed node therefore
/// goes forward in list order, through nodes removed meanwhile (each of whose next links was, likewise, the next linked
/// node at its own removal), and never past a node that stayed linked. Removal never clears a next link, and a node is
/// never linked again (a new link makes a new node), so a stale reader can neither loop nor be sent back.
/// </para>
/// <para>
/// Retention: only the list (head, links) and the item, while linked, reference a node; removal unlinks the node from
/// both (the caller drops the item's reference), so a removed node lives only as long as the readers standing on it.
/// </para>
/// </remarks>
internal static class RcuList
{
    /// <summary>Appends <paramref name="node"/>, a node never linked before. Under the writers' gate.</summary>
    public static void Append<T>(ref RcuListNode<T>? head, ref RcuListNode<T>? tail, RcuListNode<T> node)
        where T : class
    {
        Debug.Assert(node.Previous is null && node.Next is null && !ReferenceEquals(head, node), "Appending a node that was linked before.");
        node.Previous = tail;

        // Publication: every field of the node (its item, its parent) was written before this release store, and
        // readers reach the node only through an acquire load of the head or of its predecessor's next link.
        if (tail is null)
        {
            Volatile.Write(ref head, node);
        }
        else
        {
            tail.SetNext(node);
        }

        tail = node;
    }

    /// <summary>
    /// Removes <paramref name="node"/>, leaving its own next link intact for readers standing on it. Under the writers'
    /// gate. The caller drops the item's reference to the node; the node must never be appended again.
    /// </summary>
    public static void Remove<T>(ref RcuListNode<T>? head, ref RcuListNode<T>? tail, RcuListNode<T> node)
        where T : class
    {
        RcuListNode<T>? previous = node.Previous;
        RcuListNode<T>? next = node.Next;
        Debug.Assert(previous is not null || ReferenceEquals(Volatile.Read(ref head), node), "Removing a node that is not linked.");
        if (previous is null)
        {
            Volatile.Write(ref head, next);
        }
        else
        {
            previous.SetNext(next);
        }

        if (next is null)
        {
            tail = previous;
        }
        else
        {
            next.Previous = previous;
        }

        // The back link is the writers' only; clearing it keeps a removed node from pointing back into the list.
        node.Previous = null;
    }
}
