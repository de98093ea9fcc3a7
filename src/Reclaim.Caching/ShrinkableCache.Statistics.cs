using Reclaim.Caching.Internal;

namespace Reclaim.Caching;

// Statistics and the invariants a test (or a debugger) can check at rest.
public sealed partial class ShrinkableCache<TKey, TValue>
{
    private const int HitCounter = 0;
    private const int MissCounter = 1;

    // Hits and misses are bumped by every lookup on every core: striped, so parallel readers do not share a cache line.
    private readonly StripedCounter _lookups = new(2);
    private long _rejected;

    /// <summary>A snapshot of the cache's statistics.</summary>
    /// <returns>Counters since the cache was made. Readable after <see cref="Dispose"/>.</returns>
    public ShrinkableCacheStatistics GetStatistics() => new(
        _lookups.Sum(HitCounter),
        _lookups.Sum(MissCounter),
        Volatile.Read(ref _count),
        Volatile.Read(ref _bytes),
        Volatile.Read(ref _evictedByReclaim),
        Volatile.Read(ref _rejected),
        Volatile.Read(ref _notAdmitted));

    /// <summary>Entries on the cache's lists (for tests: at rest it equals <see cref="Count"/>).</summary>
    internal long ListedCount => _lru.Count;

    /// <summary>Keys in the dictionary, from its own (locking) count (for tests: at rest it equals <see cref="Count"/>).</summary>
    internal int MappedCount => _map.Count;

    /// <summary>The live entries' sizes, summed (for tests: at rest it equals the bytes charged by the cache).</summary>
    internal long SumOfSizes()
    {
        long sum = 0;
        foreach (KeyValuePair<TKey, Entry> pair in _map)
        {
            sum += pair.Value.IsLive ? pair.Value.Size : 0;
        }

        return sum;
    }

    /// <summary>
    /// What is wrong with the cache's bookkeeping, or <see langword="null"/>. Meaningful only at rest (no operation or
    /// pass in flight): the dictionary holds only live, listed entries, and the counters match them.
    /// </summary>
    internal string? CheckInvariants()
    {
        int live = 0;
        long bytes = 0;
        foreach (KeyValuePair<TKey, Entry> pair in _map)
        {
            Entry entry = pair.Value;
            if (!entry.IsLive)
            {
                return $"A retired entry is still mapped (key {pair.Key}).";
            }

            if (!entry.IsListed)
            {
                return $"A live entry is not listed for reclaim (key {pair.Key}).";
            }

            live++;
            bytes += entry.Size;
        }

        if (live != Count)
        {
            return $"Count is {Count} but {live} live entries are mapped.";
        }

        if (ListedCount != live)
        {
            return $"{ListedCount} entries are listed but {live} are mapped.";
        }

        return bytes != Volatile.Read(ref _bytes) ? $"The byte counter is {Volatile.Read(ref _bytes)} but the live entries hold {bytes}." : null;
    }

    private void RecordHit() => _lookups.Increment(HitCounter);

    private void RecordMiss() => _lookups.Increment(MissCounter);
}
