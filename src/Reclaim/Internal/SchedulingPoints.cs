using System.Diagnostics;

namespace Reclaim.Internal;

/// <summary>
/// Marks each step of a lock-free protocol where another thread may run. In normal builds every call is removed by
/// the compiler. The systematic tests compile the sources with <c>RECLAIM_SCHEDULING_POINTS</c> and implement
/// <see cref="InterleaveCore"/> as a Coyote scheduling point, so Coyote explores the interleavings between these steps.
/// </summary>
internal static partial class SchedulingPoints
{
    [Conditional("RECLAIM_SCHEDULING_POINTS")]
    public static void Interleave() => InterleaveCore();

    static partial void InterleaveCore();
}
