using Reclaim.Caching.Internal;

namespace Reclaim.Caching;

// Admission: whether a GetOrAdd miss caches the value it made (CacheAdmission).
public sealed partial class ShrinkableCache<TKey, TValue>
{
    // Never reclaimed: the adaptive filter is off. A scan that frees entries sets it to 0; every new entry adds 1 while
    // it is below NotReclaimed. The filter of SecondMissUnderReclaim is on while the entries taken in since reclaim last
    // took some are under half the cache: with nothing else leaving, until the cache has doubled.
    // No ordering pairs with these accesses, by design: the counter is a heuristic. A scan's reset (Volatile.Write)
    // racing an adder's increment may lose either; the filter then ends one entry early or late, and no entry, charge or
    // count depends on it. The doorkeeper is published once by compare-and-swap; a loser uses the winner's.
    private const long NotReclaimed = long.MaxValue;

    private readonly CacheAdmission _admission;
    private Doorkeeper? _doorkeeper;
    private long _addedSinceReclaim = NotReclaimed;
    private long _notAdmitted;

    /// <summary>Whether the adaptive filter of <see cref="CacheAdmission.SecondMissUnderReclaim"/> is on (for tests).</summary>
    internal bool IsFilteringAdmissions => _admission switch
    {
        CacheAdmission.Always => false,
        CacheAdmission.SecondMiss => true,
        _ => Volatile.Read(ref _addedSinceReclaim) < (Count + 1L) / 2,
    };

    /// <summary>Whether a miss of <paramref name="key"/> may cache its value; counts a refusal.</summary>
    private bool Admit(TKey key)
    {
        if (!IsFilteringAdmissions)
        {
            return true;
        }

        Doorkeeper doorkeeper = Volatile.Read(ref _doorkeeper) ?? MakeDoorkeeper();
        if (doorkeeper.SeenBefore(_map.Comparer.GetHashCode(key), Count))
        {
            return true;
        }

        Interlocked.Increment(ref _notAdmitted);
        return false;
    }

    private Doorkeeper MakeDoorkeeper()
    {
        var made = new Doorkeeper(Count);
        return Interlocked.CompareExchange(ref _doorkeeper, made, null) ?? made;
    }

    /// <summary>A new entry is being cached: counts it toward the end of the adaptive filter.</summary>
    private void CountAdded()
    {
        if (Volatile.Read(ref _addedSinceReclaim) != NotReclaimed)
        {
            Interlocked.Increment(ref _addedSinceReclaim);
        }
    }

    /// <summary>Reclaim took entries from the cache: the adaptive filter turns on (again).</summary>
    private void NoteReclaimed() => Volatile.Write(ref _addedSinceReclaim, 0);
}
