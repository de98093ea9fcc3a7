namespace Reclaim.Internal;

/// <summary>
/// Whether the current thread is reclaiming (the kernel's <c>PF_MEMALLOC</c>): charges made inside reclaim, such as by a
/// shrinker's callback, must not start another reclaim. Thread-static: no synchronisation needed.
/// </summary>
internal static class ReclaimScope
{
    [ThreadStatic]
    private static int t_depth;

    public static bool IsActive => t_depth > 0;

    public static void Enter() => t_depth++;

    public static void Exit() => t_depth--;

    [ThreadStatic]
    private static long t_freeable;

    [ThreadStatic]
    private static long t_uncharged;

    /// <summary>Bytes uncharged on this thread while it was reclaiming, ever (a reclaim loop takes differences).</summary>
    public static long Uncharged => t_uncharged;

    /// <summary>Counts an uncharge made while this thread reclaims (by a shrinker's scan, synchronously).</summary>
    public static void CountUncharged(long bytes)
    {
        if (t_depth > 0)
        {
            t_uncharged = Saturating.Add(t_uncharged, bytes);
        }
    }

    /// <summary>Adds a shrinker's count to this thread's tally (every shrinker visit; a reclaim loop reads and resets it).</summary>
    public static void CountFreeable(long freeable) => t_freeable = Saturating.Add(t_freeable, freeable);

    /// <summary>The objects counted on this thread since the last call, and resets the tally.</summary>
    public static long TakeFreeable()
    {
        long freeable = t_freeable;
        t_freeable = 0;
        return freeable;
    }
}
