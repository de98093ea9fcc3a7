namespace Reclaim.Internal;

/// <summary>
/// The usage reading less the garbage that reclaim itself left behind in the older generations. A usage reading (the
/// managed heap, a cgroup's usage) counts every object not yet collected. What reclaim drops from a cache is mostly old:
/// a gen0 or gen1 collection does not free it, and until a gen2 collection the reading still counts it. The reclaimer's
/// credit covers it only until the next collection of any generation; deciding on the reading alone after that, the
/// reclaimer would cut charged caches again for memory that the next gen2 collection frees anyway.
/// </summary>
/// <remarks>
/// <para>
/// The charged bytes that reclaim freed since the last gen2 collection are known exactly (the registry counts what its
/// reclaims uncharged). They are taken off the reading, but only as far as the uncharged part of the reading (reading
/// less charged bytes) has grown since the first reading after that collection, the <see cref="Floor"/>: bytes that a
/// gen0 or gen1 collection did free no longer show in the reading, and taking them off again would hide real growth.
/// So the usage decided on is <c>reading - min(freed, max(0, uncharged - floor))</c>.
/// </para>
/// <para>
/// What it can hide, and why that is bounded: uncharged growth since the last gen2 collection (a holder that does not
/// charge, a leak) up to the part of the freed bytes that younger collections already freed; that part is at most what
/// reclaim freed since the last gen2 collection, and the next gen2 collection moves the floor up to whatever the rest
/// of the process then holds. Other garbage (a request's temporaries, an uncharged holder's dropped objects) is never
/// taken off. The reclaimer does not use the estimate at all once a holder that does not charge has been reclaimed
/// from: that holder's growth shows in the uncharged part only, and churn makes the freed bytes large enough to hide
/// it. Until the first gen2 collection, the floor is the first reading's; at or above the direct line, the
/// reading counts whole.
/// </para>
/// <para>Reclaimer thread only; allocates nothing after construction.</para>
/// </remarks>
internal sealed class GarbageEstimate
{
    private int _gen2Count = -1;
    private long _floor = -1;
    private long _reclaimedAtGen2;

    /// <summary>The uncharged bytes of the first reading after the last gen2 collection (or of the first reading); -1 before any.</summary>
    public long Floor => _floor;

    /// <summary>
    /// Takes a reading and returns the usage to decide on: <paramref name="reading"/> less the garbage reclaim left since
    /// the last gen2 collection, never more than the reading and never less than the charged bytes.
    /// </summary>
    /// <param name="reading">The usage reading, less the bytes already credited as freed since the last collection.</param>
    /// <param name="charged">The charged bytes (the root group's usage) at the reading.</param>
    /// <param name="reclaimed">
    /// Charged bytes reclaim has freed in all, less the credited ones (a running total: only its growth since the last
    /// gen2 collection counts).
    /// </param>
    /// <param name="gen2Collections">The gen2 collection count at the reading.</param>
    /// <param name="directLine">The direct watermark in bytes: a reading at or above it counts whole.</param>
    public long Estimate(long reading, long charged, long reclaimed, int gen2Collections, long directLine)
    {
        long uncharged = Math.Max(0, reading - Math.Max(0, charged));
        if (gen2Collections != _gen2Count)
        {
            // The first reading after a gen2 collection: what the rest of the process holds, near enough, and the
            // point from which reclaim's frees are garbage again.
            _gen2Count = gen2Collections;
            _floor = uncharged;
            _reclaimedAtGen2 = reclaimed;
        }

        if (reading >= directLine)
        {
            return reading;
        }

        long freed = Math.Max(0, reclaimed - _reclaimedAtGen2);
        long garbage = Math.Min(freed, Math.Max(0, uncharged - _floor));
        return reading - garbage;
    }
}
