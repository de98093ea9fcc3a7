using System.Diagnostics;
using Reclaim.Internal;

namespace Reclaim;

// The list of registered shrinkers: the kernel's RCU list shrinker_list (see Internal/RcuList for the reader rules).
// Writers (under Gate) link at the tail and unlink in O(1); passes walk from _head with acquire loads and no lock.
//
// Why not a copy-on-write array? Register and Free would each copy the whole array: with 100,000 shrinkers that is
// 800 KB copied (and a large-object allocation) per call, O(n^2) to build the set. A linked list gives the same
// reader guarantees with O(1) writers.
//
// A shrinker linked but not yet given its initial reference, or being freed, is skipped by TryAcquire.
public sealed partial class ShrinkerRegistry
{
    private Shrinker? _head;
    private Shrinker? _tail;

    /// <summary>Appends a shrinker (<c>list_add_tail_rcu</c>). Under the gate.</summary>
    private void Link(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Link runs under the gate.");
        RcuList.Append(ref _head, ref _tail, shrinker);
    }

    /// <summary>Removes a shrinker (<c>list_del_rcu</c>), leaving its own next link for passes standing on it. Under the gate.</summary>
    private void Unlink(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Unlink runs under the gate.");
        RcuList.Remove(ref _head, ref _tail, shrinker);
    }

    /// <summary>Checks the list against the registered count. Debug builds and tests only.</summary>
    [Conditional("DEBUG")]
    internal void AssertInvariants()
    {
        lock (Gate)
        {
            int count = 0;
            Shrinker? previous = null;
            for (Shrinker? s = _head; s is not null; s = s.NextRegistered)
            {
                Debug.Assert(ReferenceEquals(((IRcuListNode<Shrinker>)s).PreviousNode, previous), $"Shrinker '{s}' has a wrong back link.");
                Debug.Assert(s.State is ShrinkerState.Registered or ShrinkerState.Freeing, $"Shrinker '{s}' is linked but {s.State}.");
                previous = s;
                count++;
            }

            Debug.Assert(ReferenceEquals(previous, _tail), "The tail is not the last linked shrinker.");
            Debug.Assert(count == _registeredCount, $"{count} shrinkers are linked but {_registeredCount} are counted.");
        }
    }
}
