using System.Runtime.InteropServices;
using Reclaim.Internal;

namespace Reclaim.Groups;

/// <summary>
/// A lock-free, allocation-free pre-order walk of a group's subtree (<c>mem_cgroup_iter</c>), the subtree's root first:
/// <c>foreach (MemoryGroup g in scope.WalkSubtree())</c>. Groups created meanwhile may or may not be visited; a group
/// taken offline meanwhile may still be visited (callers skip offline groups), and the walk goes on from it.
/// </summary>
/// <remarks>
/// <para>
/// The walk carries the list node it stands on, not only the group: a group drops its node when it is taken offline
/// (so that an offline group its owner holds keeps no sibling alive), but the node keeps its next link and its parent
/// link (see <see cref="RcuListNode{T}"/>), so a walk standing on a removed node still has the way on.
/// </para>
/// <para>
/// Why a walk during concurrent offlining still visits every group that stays online throughout: going down, it
/// reads the current group's children list, whose head is live. Going across, it follows next links, which per
/// <see cref="RcuList"/> lead from a removed node to the next sibling that stayed linked. Going up, it follows the
/// parent links of nodes, which never change: each names the node the parent had when the child was linked, the
/// parent's only node (a group is linked once), so the climb retraces exactly the way down and stops at the subtree's
/// root (its node, or null for the registry's root). The subtree's root is never left sideways: the walk starts on it
/// with no node and the climb stops on reaching its node. A removed parent node still has its next link, so climbing
/// out of a subtree taken offline meanwhile goes on to the parent's next sibling that stayed linked.
/// </para>
/// <para>
/// Why the links are consistent: a group is linked under an online, hence linked, parent (both under the registry's
/// gate), so a node's parent link is set when it is made, before its release-store publication; offlining is deepest
/// first, so a linked node's parent node is linked too and parent links retain nothing removed.
/// </para>
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct SubtreeWalk
{
    private readonly MemoryGroup _subtree;

    // The node of Current; null while Current is the subtree's root (whose own node, if any, is never followed sideways).
    private RcuListNode<MemoryGroup>? _node;
    private MemoryGroup? _current;
    private bool _started;

    public SubtreeWalk(MemoryGroup subtree)
    {
        _subtree = subtree;
        _node = null;
        _current = null;
        _started = false;
    }

    /// <summary>The group the walk stands on.</summary>
    public readonly MemoryGroup Current => _current!;

    /// <summary>The walk itself: <c>foreach</c> over a struct enumerator allocates nothing.</summary>
    public readonly SubtreeWalk GetEnumerator() => this;

    /// <summary>Steps to the next group in pre-order.</summary>
    /// <returns>False at the end of the subtree.</returns>
    public bool MoveNext()
    {
        if (!_started)
        {
            _started = true;
            _current = _subtree;
            return true;
        }

        if (_current is null)
        {
            return false;
        }

        // 1. Down: the first child, from the current group's live children list.
        RcuListNode<MemoryGroup>? next = _current.FirstChildNode;

        // 2. Across, climbing while there is no next sibling: through nodes only, stopping at the subtree's root.
        for (RcuListNode<MemoryGroup>? n = _node; next is null && n is not null && !ReferenceEquals(n.Item, _subtree); n = n.Parent)
        {
            next = n.Next;
        }

        _node = next;
        _current = next?.Item;
        return next is not null;
    }
}
