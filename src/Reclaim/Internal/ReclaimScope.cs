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
}
