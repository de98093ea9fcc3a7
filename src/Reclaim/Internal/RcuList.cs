using System.Diagnostics;

namespace Reclaim.Internal;

/// <summary>A node of an <see cref="RcuList"/>: its links, kept by the list.</summary>
internal interface IRcuListNode<TNode>
    where TNode : class
{
    /// <summary>Read by readers with Volatile.Read and no lock; written only by writers under their gate.</summary>
    TNode? NextNode { get; set; }

    /// <summary>Written and read by writers under their gate only: readers never walk backwards.</summary>
    TNode? PreviousNode { get; set; }
}

/// <summary>
/// The kernel's RCU list (<c>list_add_tail_rcu</c>, <c>list_del_rcu</c>) with the garbage collector as the grace period.
/// Writers serialize on a gate of their own and change the list in O(1); readers walk from the head through
/// <see cref="IRcuListNode{TNode}.NextNode"/> without any lock.
/// </summary>
/// <remarks>
/// What a reader may see, and why each is harmless for the lists that use this:
/// a node appended after the reader passed the old tail is not visited (it is new; the next walk sees it);
/// a node removed while the reader stands on it keeps its own next link, so the reader walks on to live nodes;
/// a removed node reached through a stale link is visited once more, so readers check the node's own state.
/// </remarks>
internal static class RcuList
{
    /// <summary>Appends <paramref name="node"/>. Under the writers' gate.</summary>
    public static void Append<TNode>(ref TNode? head, ref TNode? tail, TNode node)
        where TNode : class, IRcuListNode<TNode>
    {
        node.PreviousNode = tail;
        node.NextNode = null;

        // Publication: every field of the node was written before this release store, and readers reach the node
        // only through an acquire load of the head or of its predecessor's next link.
        if (tail is null)
        {
            Volatile.Write(ref head, node);
        }
        else
        {
            tail.NextNode = node;
        }

        tail = node;
    }

    /// <summary>Removes <paramref name="node"/>, leaving its own next link intact for readers standing on it. Under the writers' gate.</summary>
    public static void Remove<TNode>(ref TNode? head, ref TNode? tail, TNode node)
        where TNode : class, IRcuListNode<TNode>
    {
        TNode? previous = node.PreviousNode;
        TNode? next = node.NextNode;
        Debug.Assert(previous is not null || ReferenceEquals(Volatile.Read(ref head), node), "Removing a node that is not linked.");
        if (previous is null)
        {
            Volatile.Write(ref head, next);
        }
        else
        {
            previous.NextNode = next;
        }

        if (next is null)
        {
            tail = previous;
        }
        else
        {
            next.PreviousNode = previous;
        }

        node.PreviousNode = null;
    }
}
