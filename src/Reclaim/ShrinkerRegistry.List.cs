using System.Diagnostics;

namespace Reclaim;

// The list of registered shrinkers: the kernel's RCU list shrinker_list, with the garbage collector as the grace
// period. Writers (under Gate) link at the tail and unlink in O(1); readers (passes) walk from _head with
// Volatile.Read and no lock.
//
// Why not a copy-on-write array? Register and Free would each copy the whole array: with 100,000 shrinkers that is
// 800 KB copied (and a large-object allocation) per call, O(n^2) to build the set. A linked list gives the same
// reader guarantees with O(1) writers.
//
// What a reader may see, and why each is harmless:
// - a shrinker linked after the reader passed its predecessor: not visited this pass (it is new; the next pass sees it);
// - a shrinker unlinked while the reader stands on it: the reader continues through its unchanged _next;
// - a shrinker linked but not yet given its initial reference, or being freed: TryAcquire fails, it is skipped.
public sealed partial class ShrinkerRegistry
{
    private Shrinker? _head;
    private Shrinker? _tail;

    /// <summary>Appends a shrinker (<c>list_add_tail_rcu</c>). Under the gate.</summary>
    private void Link(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Link runs under the gate.");
        shrinker.PreviousRegistered = _tail;
        shrinker.NextRegistered = null;

        // Publication: every field of the shrinker was written before this Volatile.Write (release), and readers
        // reach it only through a Volatile.Read (acquire) of _head or of a predecessor's _next.
        if (_tail is null)
        {
            Volatile.Write(ref _head, shrinker);
        }
        else
        {
            _tail.NextRegistered = shrinker;
        }

        _tail = shrinker;
    }

    /// <summary>Removes a shrinker (<c>list_del_rcu</c>), leaving its own next link intact for readers on it. Under the gate.</summary>
    private void Unlink(Shrinker shrinker)
    {
        Debug.Assert(Monitor.IsEntered(Gate), "Unlink runs under the gate.");
        Shrinker? previous = shrinker.PreviousRegistered;
        Shrinker? next = shrinker.NextRegistered;
        if (previous is null)
        {
            Volatile.Write(ref _head, next);
        }
        else
        {
            previous.NextRegistered = next;
        }

        if (next is null)
        {
            _tail = previous;
        }
        else
        {
            next.PreviousRegistered = previous;
        }

        shrinker.PreviousRegistered = null;
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
                Debug.Assert(ReferenceEquals(s.PreviousRegistered, previous), $"Shrinker '{s}' has a wrong back link.");
                Debug.Assert(s.State is ShrinkerState.Registered or ShrinkerState.Freeing, $"Shrinker '{s}' is linked but {s.State}.");
                previous = s;
                count++;
            }

            Debug.Assert(ReferenceEquals(previous, _tail), "The tail is not the last linked shrinker.");
            Debug.Assert(count == _registeredCount, $"{count} shrinkers are linked but {_registeredCount} are counted.");
        }
    }
}
