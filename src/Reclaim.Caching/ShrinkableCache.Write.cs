using System.Runtime.ExceptionServices;
using Reclaim.Caching.Internal;
using Reclaim.Groups;

namespace Reclaim.Caching;

// Adding and replacing. Every new entry goes through the same three steps:
//   1. weigh and charge (TryCreateCharged): no lock is held, because the charge may reclaim, this cache included;
//   2. publish in the dictionary (AddIfAbsent, Set);
//   3. list it for reclaim (Publish), then check it was not retired or the cache disposed in between.
public sealed partial class ShrinkableCache<TKey, TValue>
{
    /// <summary>Caches <paramref name="value"/> for <paramref name="key"/> in the cache's <see cref="Group"/>, replacing any value cached for it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>
    /// <see langword="true"/> if the value is cached; <see langword="false"/> if its group refused the charge, in which case
    /// no value is left cached for <paramref name="key"/> (the old one is dropped as <see cref="CacheEvictionReason.Replaced"/>).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public bool Set(TKey key, TValue value) => Set(key, value, Group);

    /// <summary>Caches <paramref name="value"/> for <paramref name="key"/> in <paramref name="group"/>, replacing any value cached for it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="group">The group the entry is charged to and reclaimed with.</param>
    /// <returns>
    /// <see langword="true"/> if the value is cached; <see langword="false"/> if its group refused the charge, in which case
    /// no value is left cached for <paramref name="key"/> (the old one is dropped as <see cref="CacheEvictionReason.Replaced"/>).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="group"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry than the cache.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public bool Set(TKey key, TValue value, MemoryGroup group)
    {
        ArgumentNullException.ThrowIfNull(key);
        ValidateGroup(group);
        ThrowIfDisposed();
        Entry? entry = TryCreateCharged(key, value, group);
        if (entry is null)
        {
            // The old value must not be served after a set that did not store the new one: leave the key empty.
            if (_map.TryRemove(key, out Entry? stale))
            {
                Retire(stale, CacheEvictionReason.Replaced, unmap: false);
            }

            return false;
        }

        Entry? replaced;
        while (true)
        {
            if (_map.TryGetValue(key, out replaced))
            {
                // Reference comparison (Entry has no Equals): fails if another writer got in first; then look again.
                if (_map.TryUpdate(key, entry, replaced))
                {
                    break;
                }
            }
            else if (_map.TryAdd(key, entry))
            {
                replaced = null;
                break;
            }
        }

        // Take the old entry out before listing the new one, and report it last: whichever callback throws, both
        // entries are accounted for. Loses the CAS if the old entry was already retired (say by reclaim, between its
        // retire and its unmap): then that path reports it.
        bool tookOut = replaced is not null && TryTakeOut(replaced, unmap: false);
        try
        {
            Publish(entry);
        }
        finally
        {
            if (tookOut)
            {
                ExceptionDispatchInfo? error = null;
                Report(replaced!, CacheEvictionReason.Replaced, ref error);
                error?.Throw();
            }
        }

        return true;
    }

    /// <summary>GetOrAdd's add: publishes <paramref name="value"/> unless a live entry got there first, and returns what is cached.</summary>
    private TValue AddIfAbsent(TKey key, TValue value, MemoryGroup group)
    {
        Entry? entry = TryCreateCharged(key, value, group);
        if (entry is null)
        {
            // Refused: if another adder's value made it meanwhile, the caller gets that one, as it would have on a hit.
            return TryGetLive(key, out Entry? other) ? other.Value : value;
        }

        while (true)
        {
            if (_map.TryAdd(key, entry))
            {
                break;
            }

            if (_map.TryGetValue(key, out Entry? existing))
            {
                if (existing.IsLive)
                {
                    // Lost to another adder: ours was never visible, so nobody else can retire it. Take its bytes back.
                    Unaccount(entry);
                    existing.Touch();
                    return existing.Value;
                }

                // A retired entry on its way out: take its place (its retirer's unmap then finds ours and leaves it).
                if (_map.TryUpdate(key, entry, existing))
                {
                    break;
                }
            }
        }

        Publish(entry);
        return value;
    }

    /// <summary>
    /// Step 1: weighs and charges a new entry, and counts it; or counts a rejection and returns null. The charge may run
    /// reclaim on this thread, this cache's shrinker included: no lock of the cache is held here.
    /// </summary>
    private Entry? TryCreateCharged(TKey key, TValue value, MemoryGroup group)
    {
        long size = 0;
        if (_weigher is not null)
        {
            size = _weigher(key, value);
            if (size < 0)
            {
                Throw.InvalidOperation($"The cache's weigher returned {size} bytes; an entry's size must be 0 or more.");
            }
        }

        if (!group.TryCharge(size))
        {
            Interlocked.Increment(ref _rejected);
            return null;
        }

        // Counted before it is published, so the counters never go below 0 when a retirer gets to it early.
        CountAdded();
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _bytes, size);
        return new Entry(key, value, size, group);
    }

    /// <summary>
    /// Step 3: lists a published entry for reclaim, then closes the two windows between publishing and listing.
    /// </summary>
    private void Publish(Entry entry)
    {
        _lru.Add(entry, 0, entry.Group);

        // 1. Retired in between (a remove, replace or clear found it in the dictionary): a retirer unlists an entry only
        //    once it is marked added (TryTakeOut), because a ListLru.Remove racing the Add of the same item would unlink
        //    it before Add has linked it. Mark, then read the state; the retirer CASes the state, then reads the mark.
        //    Both are full fences, so at least one of us sees the other and unlists; ListLru.Remove is idempotent.
        entry.MarkAdded();
        if (!entry.IsLive)
        {
            _lru.Remove(entry);
            return;
        }

        // 2. Disposed in between: Dispose sets _disposed with a full fence and then drains the dictionary; we published
        //    and then fenced (MarkAdded) before this read. Either the drain sees our entry or we see the flag and evict it
        //    ourselves; the retire CAS makes doing both harmless.
        if (IsDisposed)
        {
            Retire(entry, CacheEvictionReason.Disposed, unmap: true);
        }
    }
}
