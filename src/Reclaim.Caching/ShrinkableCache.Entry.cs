using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.Caching;

public sealed partial class ShrinkableCache<TKey, TValue>
{
    /// <summary>
    /// One stored value: immutable but for two flags, and its own LRU links (<see cref="ListLruItem"/>).
    /// </summary>
    private sealed class Entry(TKey key, TValue value, long size, MemoryGroup group) : ListLruItem
    {
        private const int Live = 0;
        private const int Retired = 1;

        public readonly TKey Key = key;
        public readonly TValue Value = value;

        /// <summary>The weigher's bytes, charged to <see cref="Group"/> while the entry is live.</summary>
        public readonly long Size = size;

        /// <summary>The group the entry was charged to and listed for (an offline group's charges live in its nearest online ancestor).</summary>
        public readonly MemoryGroup Group = group;

        // 1 when used since a walk last looked at the entry. Set by hits, cleared by the walk (under the list's lock).
        // Accepted race: a hit that reads 1 just before the walk clears it leaves it clear, so the entry may go on that
        // walk although just used; it was due for its second chance there anyway, and the value is correct either way.
        private int _referenced;

        // Live -> Retired, once, by CAS: the winner owns unlisting, uncharging and reporting the entry.
        private int _state;

        // 0 until the publisher's ListLru.Add has returned, then 1. A retirer unlists the entry only once it is 1: a
        // ListLru.Remove that runs between Add's claim of the item and its linking would unlink an item that is not yet
        // linked, and corrupt the list. See Publish for the handshake.
        private int _added;

        public bool IsLive => Volatile.Read(ref _state) == Live;

        /// <summary>Whether the publisher's <see cref="ListLru{T}.Add"/> has returned, so the entry may be unlisted.</summary>
        public bool IsAdded => Volatile.Read(ref _added) != 0;

        /// <summary>Notes that <see cref="ListLru{T}.Add"/> returned. A full fence: pairs with <see cref="TryRetire"/> (see Publish).</summary>
        public void MarkAdded() => Interlocked.Exchange(ref _added, 1);

        /// <summary>Notes a hit. Writes only when the bit is clear, so hot entries read by many threads cost no cache-line transfers.</summary>
        public void Touch()
        {
            if (Volatile.Read(ref _referenced) == 0)
            {
                Volatile.Write(ref _referenced, 1);
            }
        }

        /// <summary>Whether the entry was used since the last walk looked at it; clears the bit. Under the list's lock.</summary>
        public bool TestAndClearReferenced()
        {
            if (Volatile.Read(ref _referenced) == 0)
            {
                return false;
            }

            Volatile.Write(ref _referenced, 0);
            return true;
        }

        /// <summary>
        /// Claims the entry's retirement. A full fence: pairs with <see cref="MarkAdded"/> in <c>Publish</c> (see there).
        /// Exactly one caller ever gets <see langword="true"/>.
        /// </summary>
        public bool TryRetire() => Interlocked.CompareExchange(ref _state, Retired, Live) == Live;
    }
}
