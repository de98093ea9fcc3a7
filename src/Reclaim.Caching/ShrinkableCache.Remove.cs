using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace Reclaim.Caching;

// Every way out of the cache: remove, replace (Set), clear, reclaim (ShrinkableCache.Reclaim.cs) and dispose. Each ends
// in TryTakeOut, whose retire CAS decides which one path unlists, uncharges and reports an entry.
public sealed partial class ShrinkableCache<TKey, TValue>
{
    /// <summary>Removes the value cached for <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether a value was cached and this call removed it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public bool TryRemove(TKey key) => TryRemove(key, out _);

    /// <summary>Removes the value cached for <paramref name="key"/> and returns it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The removed value, or the default when none was removed.</param>
    /// <returns>
    /// Whether a value was cached and this call removed it; <see langword="false"/> also when reclaim was taking it at
    /// that moment (reclaim then reports it).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public bool TryRemove(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        ThrowIfDisposed();

        // Unmap first: that is the removal. The entry may be retired already (reclaim between its retire and its
        // unmap); then we lose the CAS below and report nothing.
        if (_map.TryRemove(key, out Entry? entry) && Retire(entry, CacheEvictionReason.Removed, unmap: false))
        {
            value = entry.Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Removes every entry (each reported as <see cref="CacheEvictionReason.Cleared"/>). Entries added while it runs may
    /// stay.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    /// <exception cref="Exception">
    /// The first exception thrown by <see cref="ShrinkableCacheOptions{TKey, TValue}.OnEvicted"/>, after every entry was
    /// removed and reported.
    /// </exception>
    public void Clear()
    {
        ThrowIfDisposed();
        RemoveAll(CacheEvictionReason.Cleared);
    }

    /// <summary>
    /// Frees the cache's shrinker (waiting for any reclaim scan of the cache in flight), then removes every entry, each
    /// reported as <see cref="CacheEvictionReason.Disposed"/> and uncharged. Calling it again does nothing. Afterwards the
    /// cache's operations throw <see cref="ObjectDisposedException"/>; <see cref="Count"/>, <see cref="GetStatistics"/>,
    /// <see cref="Shrinker"/> and <see cref="Group"/> stay readable.
    /// </summary>
    /// <remarks>
    /// Not from <see cref="ShrinkableCacheOptions{TKey, TValue}.OnEvicted"/> for a <see cref="CacheEvictionReason.Reclaimed"/>
    /// entry: that runs inside the cache's own scan, which freeing the shrinker would wait for, so it throws
    /// <see cref="InvalidOperationException"/> and the cache stays usable.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from inside the cache's own reclaim scan.</exception>
    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        // 1. No scan runs or will run once this returns (it throws, changing nothing, from inside our own scan).
        Shrinker.Free();

        // 2. Then the flag, with a full fence before the drain: pairs with Publish's check (see there).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // 3. Drain. Adds still in flight see the flag after publishing and evict their own entries.
        try
        {
            RemoveAll(CacheEvictionReason.Disposed);
        }
        finally
        {
            _lru.Dispose();
        }
    }

    /// <summary>Retires every entry in the dictionary; callbacks that throw do not stop the others.</summary>
    private void RemoveAll(CacheEvictionReason reason)
    {
        ExceptionDispatchInfo? error = null;

        // The enumerator takes no lock and sees a moving snapshot; entries it meets retired are their retirers' to unmap.
        foreach (KeyValuePair<TKey, Entry> pair in _map)
        {
            if (TryTakeOut(pair.Value, unmap: true))
            {
                Report(pair.Value, reason, ref error);
            }
        }

        error?.Throw();
    }

    /// <summary>Retires <paramref name="entry"/> if no other path has, and reports it. Returns whether this call retired it.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="reason">The reason reported.</param>
    /// <param name="unmap">Whether it may still be mapped (the caller did not unmap or replace it).</param>
    private bool Retire(Entry entry, CacheEvictionReason reason, bool unmap)
    {
        if (!TryTakeOut(entry, unmap))
        {
            return false;
        }

        ExceptionDispatchInfo? error = null;
        Report(entry, reason, ref error);
        error?.Throw();
        return true;
    }

    /// <summary>
    /// The one exit: claims the entry's retirement by CAS, then unmaps it (if still mapped to this very entry), unlists
    /// it and gives back its count, bytes and charge. Reports nothing: callers report after, outside every lock.
    /// </summary>
    private bool TryTakeOut(Entry entry, bool unmap)
    {
        if (!entry.TryRetire())
        {
            return false;
        }

        if (unmap)
        {
            // Only if still mapped to this entry: an adder may already have taken the retired entry's place.
            _map.TryRemove(new KeyValuePair<TKey, Entry>(entry.Key, entry));
        }

        // Not before the publisher's Add has returned (see Publish, which unlists it itself then). A no-op when a walk
        // already took it off its list.
        if (entry.IsAdded)
        {
            _lru.Remove(entry);
        }

        Unaccount(entry);
        return true;
    }

    /// <summary>Gives back what <see cref="TryCreateCharged"/> took: the count, the bytes and the group's charge.</summary>
    private void Unaccount(Entry entry)
    {
        Interlocked.Add(ref _bytes, -entry.Size);
        Interlocked.Decrement(ref _count);
        entry.Group.Uncharge(entry.Size);
    }

    /// <summary>Calls OnEvicted, keeping the first exception for the caller to throw once every entry is handled.</summary>
    private void Report(Entry entry, CacheEvictionReason reason, ref ExceptionDispatchInfo? error)
    {
        if (_onEvicted is null)
        {
            return;
        }

        try
        {
            _onEvicted(entry.Key, entry.Value, reason);
        }
#pragma warning disable CA1031 // The user's callback: one failure must not leave the other entries unreported; the first is rethrown.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error ??= ExceptionDispatchInfo.Capture(ex);
        }
    }
}
