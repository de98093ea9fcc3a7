using Microsoft.Coyote.Runtime;

namespace Reclaim.Internal;

/// <summary>Turns every protocol step marked in the sources into a Coyote scheduling point.</summary>
internal static partial class SchedulingPoints
{
    static partial void InterleaveCore() => SchedulingPoint.Interleave();
}
