using System.Numerics;

namespace Reclaim.Caching.Internal;

/// <summary>
/// The admission filter of <see cref="CacheAdmission.SecondMiss"/>: a table that remembers, per slot, the hash code of
/// the last key that missed there, so a key's second miss is recognised while no other key has taken its slot since.
/// Sized to the cache (<see cref="SlotsPerEntry"/> slot per entry, rounded up to a power of two between <see cref="MinSlots"/> and
/// <see cref="MaxSlots"/>), grown as the cache grows; ageing is implicit, since later misses overwrite older ones.
/// </summary>
/// <remarks>
/// Thread safety: any number of threads may call <see cref="SeenBefore"/> at once. Slots are single ints written
/// without a lock: two keys racing for one slot leave one of them, which costs the other an extra miss and nothing
/// else. Growth swaps the table for an empty one (the history is lost, which only delays some admissions).
/// </remarks>
internal sealed class Doorkeeper
{
    /// <summary>
    /// Slots per cached entry: the filter remembers about one cache size of recent misses, so a key gets in when it
    /// misses twice while about as many other keys miss as the cache holds. Of 1, 2, 4, 8, 16 and 64 slots per entry, 1 gave
    /// the pressure benchmark's Zipf workload the highest hit rate and throughput (bench/README.md): a longer memory
    /// admits more keys that are asked for rarely, which push out better ones and cost the collector a promotion.
    /// </summary>
    public const int SlotsPerEntry = 1;

    /// <summary>The smallest table: 4 KiB.</summary>
    public const int MinSlots = 1 << 10;

    /// <summary>The largest table: 16 MiB.</summary>
    public const int MaxSlots = 1 << 22;

    private int[] _slots;

    /// <summary>Makes a filter for a cache of <paramref name="entries"/> entries.</summary>
    public Doorkeeper(long entries) => _slots = new int[SlotsFor(entries)];

    /// <summary>The table's length (for tests).</summary>
    public int Length => Volatile.Read(ref _slots).Length;

    /// <summary>
    /// Whether <paramref name="hashCode"/> is the one remembered in its slot, that is a key with this hash code missed
    /// since any other key used the slot; if not, remembers it there. Grows the table first when
    /// <paramref name="entries"/> has outgrown it.
    /// </summary>
    public bool SeenBefore(int hashCode, long entries)
    {
        int[] slots = Volatile.Read(ref _slots);
        if (slots.Length < MaxSlots && entries * SlotsPerEntry > slots.Length * 2L)
        {
            slots = Grow(slots, entries);
        }

        // Fibonacci hashing spreads the hash code's bits over the index; the slot keeps the hash code itself (0 is empty).
        ulong mixed = (uint)hashCode * 0x9E3779B97F4A7C15UL;
        int index = (int)(mixed >> (64 - BitOperations.Log2((uint)slots.Length)));
        int mark = hashCode == 0 ? 1 : hashCode;
        if (Volatile.Read(ref slots[index]) == mark)
        {
            return true;
        }

        Volatile.Write(ref slots[index], mark);
        return false;
    }

    private static int SlotsFor(long entries) =>
        (int)BitOperations.RoundUpToPowerOf2((ulong)Math.Clamp(entries * SlotsPerEntry, MinSlots, MaxSlots));

    private int[] Grow(int[] current, long entries)
    {
        // One thread's table wins; the others use it.
        int[] grown = new int[SlotsFor(entries)];
        int[] seen = Interlocked.CompareExchange(ref _slots, grown, current);
        return ReferenceEquals(seen, current) ? grown : seen;
    }
}
