using System.Diagnostics;
using Reclaim.Internal;

namespace Reclaim;

// The list of registered shrinkers: the kernel's RCU list shrinker_list (see Internal/RcuList for the reader rules).
// Writers (under Gate) link at the tail and unlink in O(1); passes walk the nodes from _head with acquire loads and no
// lock, reading each node's shrinker.
//
// Why not a copy-on-write array? Register and Free would each copy the whole array: with 100,000 shrinkers that is
// 800 KB copied (and a large-object allocation) per call, O(n^2) to build the set. A linked list gives the same
// reader guarantees with O(1) writers.
//
// Why nodes and not the shrinkers themselves as links: an unlinked link keeps its next pointer for passes standing on
// it, so a freed shrinker its owner keeps would keep every shrinker freed after it alive. A freed shrinker drops its
// node; nothing long-lived references an unlinked node.
//
// A shrinker linked but not yet given its initial reference, or being freed, is skipped by TryAcquire.
public sealed partial class ShrinkerRegistry
{
    private RcuListNode<Shrinker>? _head;
    private RcuListNode<Shrinker>? _tail;

    /// <summary>Appends a shrinker (<c>list_add_tail_rcu</c>) in a new node. Under the gate.</summary>
    private void Link(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Link runs under the gate.");
        Debug.Assert(shrinker.ListNode is null, "Linking a shrinker that has a node.");
        var node = new RcuListNode<Shrinker>(shrinker);
        RcuList.Append(ref _head, ref _tail, node);
        shrinker.ListNode = node;
    }

    /// <summary>
    /// Removes a shrinker (<c>list_del_rcu</c>), leaving its node's next link for passes standing on it, and drops the
    /// shrinker's reference to the node. Under the gate.
    /// </summary>
    private void Unlink(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Unlink runs under the gate.");
        RcuListNode<Shrinker>? node = shrinker.ListNode;
        Debug.Assert(node is not null && ReferenceEquals(node.Item, shrinker), "Unlinking a shrinker that is not linked.");
        RcuList.Remove(ref _head, ref _tail, node);
        shrinker.ListNode = null;
    }

    /// <summary>Checks the list against the registered count. Debug builds and tests only.</summary>
    [Conditional("DEBUG")]
    internal void AssertInvariants()
    {
        lock (Gate)
        {
            int count = 0;
            RcuListNode<Shrinker>? previous = null;
            for (RcuListNode<Shrinker>? n = _head; n is not null; n = n.Next)
            {
                Shrinker s = n.Item;
                Debug.Assert(ReferenceEquals(n.Previous, previous), $"Shrinker '{s}' has a wrong back link.");
                Debug.Assert(ReferenceEquals(s.ListNode, n), $"Shrinker '{s}' is linked in a node that is not its own.");
                Debug.Assert(s.State is ShrinkerState.Registered or ShrinkerState.Freeing, $"Shrinker '{s}' is linked but {s.State}.");
                previous = n;
                count++;
            }

            Debug.Assert(ReferenceEquals(previous, _tail), "The tail is not the last linked shrinker.");
            Debug.Assert(count == _registeredCount, $"{count} shrinkers are linked but {_registeredCount} are counted.");
        }
    }
}
