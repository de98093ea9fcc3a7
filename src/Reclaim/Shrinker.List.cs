using Reclaim.Internal;

namespace Reclaim;

// The shrinker's place in its registry's list of registered shrinkers (the kernel's shrinker->list), an RcuList.
public sealed partial class Shrinker
{
    /// <summary>
    /// The shrinker's node in the registry's list while it is linked, else null. Written and read under the registry's
    /// gate only (passes walk nodes, never this). Dropped at unlink, so a freed shrinker its owner still holds keeps
    /// nothing of the list alive (see <see cref="RcuListNode{T}"/>).
    /// </summary>
    internal RcuListNode<Shrinker>? ListNode { get; set; }
}
