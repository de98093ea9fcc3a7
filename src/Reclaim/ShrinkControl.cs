using System.Runtime.InteropServices;
using Reclaim.Groups;

namespace Reclaim;

/// <summary>
/// What a pass asks of one shrinker: the kernel's <c>struct shrink_control</c>. It lives on the stack of the pass and
/// is passed to the callbacks by reference, so a pass allocates nothing.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public struct ShrinkControl
{
    /// <summary>Creates a control for a direct call into a shrinker's callbacks (tests, the debug endpoint).</summary>
    /// <param name="node">The node to count or scan; 0 for shrinkers that are not <see cref="ShrinkerFlags.NodeAware"/>.</param>
    /// <param name="group">The memory group to count or scan; <see langword="null"/> stands for no particular group.</param>
    /// <param name="nrToScan">How many objects a scan should look at.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> or <paramref name="nrToScan"/> is negative.</exception>
    public ShrinkControl(int node, MemoryGroup? group, long nrToScan)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfNegative(nrToScan);
        Node = node;
        Group = group;
        NrToScan = nrToScan;
        NrScanned = nrToScan;
        TotalScan = nrToScan;
    }

    /// <summary>The node of the pass. Always 0 for a shrinker that is not <see cref="ShrinkerFlags.NodeAware"/>.</summary>
    public int Node { readonly get; internal set; }

    /// <summary>
    /// The memory group of the pass. For a <see cref="ShrinkerFlags.GroupAware"/> shrinker in a root pass this is the
    /// registry's <see cref="ShrinkerRegistry.Root"/>, as the kernel passes the root memcg.
    /// </summary>
    public MemoryGroup? Group { readonly get; internal set; }

    /// <summary>How many objects this scan call should look at (at most the shrinker's batch). 0 in a count call.</summary>
    public long NrToScan { readonly get; internal set; }

    /// <summary>
    /// How many objects this pass still means to scan in this shrinker, this call's <see cref="NrToScan"/> included: the
    /// kernel's <c>total_scan</c> as it stands before the call (a Reclaim addition; the kernel's callbacks do not see it).
    /// 0 in a count call; equal to <see cref="NrToScan"/> in a direct call.
    /// </summary>
    /// <remarks>
    /// For a cache whose scan costs the same whatever it frees (one walk or sort of the whole cache per call, as
    /// <c>MemoryCache.Compact</c>), batches multiply that cost. Such a scan may look at up to this many objects in one
    /// call and set <see cref="NrScanned"/> to what it looked at: the pass charges them all against its work and, with
    /// nothing left, calls no more. Deferral and the pass's arithmetic are unchanged.
    /// </remarks>
    public long TotalScan { readonly get; internal set; }

    /// <summary>
    /// How many objects this scan call really looked at. The pass sets it to <see cref="NrToScan"/> before each call;
    /// a scan that looked at fewer or more objects says so here, and the pass charges that many against its work.
    /// Setting 0 or a negative number ends this shrinker's scan for the pass (it made no progress).
    /// </summary>
    public long NrScanned { readonly get; set; }
}
