namespace Reclaim.Groups;

/// <summary>
/// 64 group-aware shrinker ids' state in one group on one node (the kernel's <c>shrinker_info_unit</c>): a word of
/// "may have objects" bits and a deferred counter per id. Units are never copied: growing a group's table copies only
/// the array of unit references, so a bit or counter updated concurrently with the growth is never lost.
/// </summary>
internal sealed class ShrinkerInfoUnit
{
    public const int Size = 64;

    /// <summary>Bit i set: shrinker id <c>unit * 64 + i</c> may have objects here. Changed only with Interlocked.</summary>
    private long _bits;

    /// <summary>Deferred work per id; changed only with Interlocked.</summary>
    public readonly long[] Deferred = new long[Size];

    public ulong Bits => (ulong)Volatile.Read(ref _bits);

    /// <summary>Sets a bit. A full fence (Interlocked), pairing with the fence between a pass's clear and its re-count.</summary>
    public void SetBit(int bit) => Interlocked.Or(ref _bits, 1L << bit);

    /// <summary>Clears a bit (full fence).</summary>
    public void ClearBit(int bit) => Interlocked.And(ref _bits, ~(1L << bit));

    public bool IsSet(int bit) => (Volatile.Read(ref _bits) & (1L << bit)) != 0;

    /// <summary>Sets every bit set in <paramref name="bits"/> (reparenting).</summary>
    public void SetBits(ulong bits)
    {
        if (bits != 0)
        {
            Interlocked.Or(ref _bits, (long)bits);
        }
    }
}
