using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Reclaim.Lru;

namespace Reclaim.Caching;

// The cache's shrinker callbacks. The count is the ListLru's count for the pass's group. The scan walks that list from
// the cold end with second chance and frees what it isolates, allocating nothing.
public sealed partial class ShrinkableCache<TKey, TValue>
{
    // The isolate callback, made once per closed generic type: a walk allocates no delegate.
    private static readonly ListLruIsolate<Entry, ScanState> s_isolate = Isolate;

    // Where a walk collects the entries it took off the list, to free them after the list's lock is released: one per
    // thread (and closed generic type), so scans of the cache from several threads at once (background reclaim beside
    // writers reclaiming for their own charges) all make progress; a scan that answered Stop whenever another was
    // running left direct reclaim empty-handed exactly when it was needed. Slots are cleared as soon as each entry is
    // handled, so a buffer never keeps an evicted value alive. Allocated on a thread's first scan only.
    [ThreadStatic]
    private static Entry?[]? t_scanBuffer;

    // Whether this thread is inside a scan of a cache of this type: a pass started from an OnEvicted callback of that
    // scan, on the same thread, would reuse the buffer under its feet, so a nested scan answers Stop instead.
    [ThreadStatic]
    private static bool t_scanning;

    private long _evictedByReclaim;

    /// <summary>The walk's state: the buffer and how many entries it holds.</summary>
    private struct ScanState(Entry?[] buffer)
    {
        public readonly Entry?[] Buffer = buffer;
        public int Count;
    }

    /// <summary>The shrinker's count: entries listed for the pass's group, or <see cref="Shrinker.Empty"/>.</summary>
    private long CountObjects(Shrinker shrinker, ref ShrinkControl control) => _lru.ShrinkCount(ref control);

    /// <summary>
    /// The shrinker's scan: looks at up to <see cref="ShrinkControl.NrToScan"/> entries from the cold end of the pass's
    /// group list, gives each referenced one its second chance (bit cleared, moved to the hot end) and frees the others.
    /// Sets <see cref="ShrinkControl.NrScanned"/> to the entries looked at, so a short list ends the pass's scan.
    /// </summary>
    private long ScanObjects(Shrinker shrinker, ref ShrinkControl control)
    {
        // 1. One scan per thread at a time (the buffer is the thread's); other threads scan beside it.
        if (t_scanning)
        {
            return Shrinker.Stop;
        }

        t_scanning = true;
        Entry?[] buffer = t_scanBuffer ??= new Entry?[Shrinker.DefaultBatch];

        long freed = 0;
        long scanned = 0;
        ExceptionDispatchInfo? error = null;
        try
        {
            long left = control.NrToScan;
            while (left > 0)
            {
                // 2. Walk at most a buffer's worth, under the list's lock: the isolate only flips bits and collects.
                long asked = Math.Min(left, buffer.Length);
                long budget = asked;
                var state = new ScanState(buffer);
                _lru.Walk(control.Node, control.Group, s_isolate, ref state, ref budget);
                long walked = asked - budget;
                scanned += walked;
                left -= walked;

                // 3. Free the collected entries with no lock held.
                freed += FreeCollected(buffer, state.Count, ref error);
                if (walked < asked)
                {
                    break; // the list ran out
                }
            }
        }
        finally
        {
            t_scanning = false;
        }

        control.NrScanned = scanned;
        error?.Throw();
        return freed;
    }

    /// <summary>Second chance: a referenced entry is spared once (bit cleared, rotated); any other is taken off the list.</summary>
    private static LruWalkResult Isolate(Entry entry, ref ScanState state)
    {
        if (entry.TestAndClearReferenced())
        {
            return LruWalkResult.Rotate;
        }

        // The walk's budget is at most the buffer's length, so this never overflows. A retired entry still listed (its
        // retirer is between its CAS and its Remove) is collected too: the CAS below then drops it from the buffer.
        Debug.Assert(state.Count < state.Buffer.Length, "The walk's budget is at most the scan buffer's length.");
        state.Buffer[state.Count++] = entry;
        return LruWalkResult.Removed;
    }

    /// <summary>
    /// Retires, unmaps and uncharges the collected entries that no other path retired first, then reports them. Returns
    /// how many this scan freed.
    /// </summary>
    private int FreeCollected(Entry?[] buffer, int collected, ref ExceptionDispatchInfo? error)
    {
        // 1. Account for every entry first, so a callback that throws cannot leave an unlisted entry charged.
        int won = 0;
        for (int i = 0; i < collected; i++)
        {
            Entry entry = buffer[i]!;
            buffer[i] = null;
            if (TryTakeOut(entry, unmap: true))
            {
                buffer[won++] = entry;
            }
        }

        if (won > 0)
        {
            Interlocked.Add(ref _evictedByReclaim, won);
            NoteReclaimed();
        }

        // 2. Then report, clearing each slot.
        for (int i = 0; i < won; i++)
        {
            Entry entry = buffer[i]!;
            buffer[i] = null;
            Report(entry, CacheEvictionReason.Reclaimed, ref error);
        }

        return won;
    }
}
