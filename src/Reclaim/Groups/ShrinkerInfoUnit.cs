namespace Reclaim.Groups;

/// <summary>
/// 64 group-aware shrinker ids' state in one group on one node (the kernel's <c>shrinker_info_unit</c>): a word of
/// "may have objects" bits and a deferred counter per id. Units are never copied: growing a group's table copies only
/// the array of unit references, so a bit or counter updated concurrently with the growth is never lost.
/// </summary>
internal sealed class ShrinkerInfoUnit(ShrinkerInfoSummary summary, int summaryBit)
{
    public const int Size = 64;

    /// <summary>Deferred work per id; changed only with Interlocked.</summary>
    public readonly long[] Deferred = new long[Size];

    /// <summary>Bit i set: shrinker id <c>unit * 64 + i</c> may have objects here. Changed only with Interlocked.</summary>
    private long _bits;

    public ulong Bits => (ulong)Volatile.Read(ref _bits);

    /// <summary>The summary word that says whether this unit may have any bit set, and this unit's bit in it.</summary>
    public ShrinkerInfoSummary Summary { get; } = summary;

    public int SummaryBit { get; } = summaryBit;

    /// <summary>
    /// Sets a bit, then the unit's summary bit. Both are full fences (Interlocked): the unit bit is visible before the
    /// summary is checked, which pairs with a pass's clear-summary, fence, re-read-unit (see ShrinkGroup), and the bit
    /// with the fence between a pass's Empty clear and its second count.
    /// </summary>
    public void SetBit(int bit)
    {
        Interlocked.Or(ref _bits, 1L << bit);
        Summary.Set(SummaryBit);
    }

    /// <summary>Clears a bit (full fence). The summary bit is left for passes to clear lazily.</summary>
    public void ClearBit(int bit) => Interlocked.And(ref _bits, ~(1L << bit));

    public bool IsSet(int bit) => (Volatile.Read(ref _bits) & (1L << bit)) != 0;

    /// <summary>Sets every bit set in <paramref name="bits"/> (reparenting).</summary>
    public void SetBits(ulong bits)
    {
        if (bits != 0)
        {
            Interlocked.Or(ref _bits, (long)bits);
            Summary.Set(SummaryBit);
        }
    }
}

/// <summary>
/// One bit per unit for 64 units (4,096 ids): "this unit may have a bit set". Lets a group pass skip empty units
/// without reading them, so its cost follows the shrinkers with objects in the group even with 100,000 registered.
/// Like units, summaries are shared between a table and its grown copy, never copied.
/// </summary>
internal sealed class ShrinkerInfoSummary
{
    private long _bits;

    public ulong Bits => (ulong)Volatile.Read(ref _bits);

    /// <summary>Sets a unit's bit; skips the atomic write when it is already set (the common case on hot paths).</summary>
    public void Set(int unitBit)
    {
        long mask = 1L << unitBit;
        if ((Volatile.Read(ref _bits) & mask) == 0)
        {
            Interlocked.Or(ref _bits, mask);
        }
    }

    public void Clear(int unitBit) => Interlocked.And(ref _bits, ~(1L << unitBit));
}
