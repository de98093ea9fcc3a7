using System.Diagnostics;
using Reclaim.Internal;
using Reclaim.Lru;

namespace Reclaim.Groups;

/// <summary>
/// A group of caches with its own memory budget: the kernel's <c>struct mem_cgroup</c>. Groups form a tree under
/// their registry's <see cref="ShrinkerRegistry.Root"/>; in a service they are tenants, subsystems or plugins sharing
/// one process and one memory limit.
/// </summary>
/// <remarks>
/// <para>
/// A pass over a group (<see cref="ShrinkerRegistry.ShrinkSlab(int, MemoryGroup?, int)"/>) visits only the
/// <see cref="ShrinkerFlags.GroupAware"/> shrinkers that marked having objects here
/// (<see cref="Shrinker.MarkHasObjects(MemoryGroup, int)"/>), so its cost follows the shrinkers with objects in the
/// group, not the number registered.
/// </para>
/// <para>
/// Budgets: <see cref="Usage"/> counts the bytes charged to the group and its descendants; a charge that would take
/// the group above <see cref="High"/> first reclaims the group's subtree; one that would still exceed <see cref="Max"/>
/// is refused. See <see cref="TryCharge(long)"/>.
/// </para>
/// <para>Thread safety: every member may be called from any thread.</para>
/// </remarks>
[DebuggerDisplay("{Path,nq} #{Id} online={IsOnline}")]
public sealed partial class MemoryGroup
{
    private volatile bool _online = true;

    // Children, an RcuList of nodes under the registry's gate: passes walk subtrees through them without a lock (see
    // SubtreeWalk). The group's own node in its parent's list, while linked (null for the root and once offline): read
    // and written under the gate only. Dropping it at unlink is what keeps an offline group its owner still holds from
    // keeping the siblings taken offline after it alive (see RcuListNode).
    private RcuListNode<MemoryGroup>? _firstChild;
    private RcuListNode<MemoryGroup>? _lastChild;
    private RcuListNode<MemoryGroup>? _siblingNode;

    private MemoryGroup(ShrinkerRegistry registry, long id, string name, MemoryGroup? parent, int unitCount)
    {
        Registry = registry;
        Id = id;
        Name = name;
        Parent = parent;
        Depth = parent is null ? 0 : parent.Depth + 1;
        Path = parent is null ? "/" : parent.IsRoot ? "/" + name : parent.Path + "/" + name;
        _units = new ShrinkerInfoUnit[registry.NodeCount][];
        _summaries = new ShrinkerInfoSummary[registry.NodeCount][];
        for (int node = 0; node < registry.NodeCount; node++)
        {
            (_units[node], _summaries[node]) = Grow([], [], unitCount);
        }
    }

    /// <summary>The registry the group belongs to.</summary>
    public ShrinkerRegistry Registry { get; }

    /// <summary>A number unique in the registry and never reused, like a cgroup's inode number. The root's is 1.</summary>
    public long Id { get; }

    /// <summary>The group's name among its siblings; empty for the root.</summary>
    public string Name { get; }

    /// <summary>The parent group, or <see langword="null"/> for the root.</summary>
    public MemoryGroup? Parent { get; }

    /// <summary>Whether this is its registry's root group.</summary>
    public bool IsRoot => Parent is null;

    /// <summary>
    /// Whether the group is online. An offline group is never reclaimed; what is aimed at it (marks, charges) goes to
    /// its nearest online ancestor.
    /// </summary>
    public bool IsOnline => _online;

    /// <summary>The path from the root, as in a cgroup hierarchy: <c>/</c> for the root, <c>/tenant-a/cache</c> below it.</summary>
    /// <remarks>Made once, with the group (its name and parent never change): telemetry tags measurements with it.</remarks>
    public string Path { get; }

    /// <summary>The online children, at one moment. Allocates: for diagnostics and set-up, not for reclaim.</summary>
    public IReadOnlyList<MemoryGroup> Children
    {
        get
        {
            var children = new List<MemoryGroup>();
            for (RcuListNode<MemoryGroup>? n = FirstChildNode; n is not null; n = n.Next)
            {
                if (n.Item.IsOnline)
                {
                    children.Add(n.Item);
                }
            }

            return children;
        }
    }

    /// <summary>Levels below the root (the root's is 0).</summary>
    internal int Depth { get; }

    /// <summary>The node of the first linked child, read with acquire semantics (pairs with RcuList.Append's release store).</summary>
    internal RcuListNode<MemoryGroup>? FirstChildNode => Volatile.Read(ref _firstChild);

    /// <summary>Makes a child group (<c>mkdir</c> in a cgroup hierarchy).</summary>
    /// <param name="name">The child's name: not empty or white space, no <c>/</c>, not <c>.</c> or <c>..</c>, unique among this group's online children.</param>
    /// <returns>The new, online child.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name or a sibling has it.</exception>
    /// <exception cref="InvalidOperationException">This group is offline.</exception>
    public MemoryGroup CreateChild(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            Throw.Argument(nameof(name), "A memory group needs a name that is not empty or white space.");
        }

        string trimmed = name.Trim();
        if (trimmed.Contains('/', StringComparison.Ordinal) || trimmed is "." or "..")
        {
            Throw.Argument(nameof(name), $"'{trimmed}' is not a valid memory group name: names may not contain '/' or be '.' or '..'.");
        }

        return Registry.CreateGroup(this, trimmed);
    }

    /// <summary>
    /// Takes the group and its whole subtree offline (<c>rmdir</c>; deepest groups first). Each group's deferred work
    /// and "may have objects" bits move to its parent, lists are reparented by their owners, and from then on marks and
    /// charges aimed at it land on its nearest online ancestor. Calling it again does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// This is the root group, or the call comes from inside a <see cref="Lru.ListLru{T}"/> isolate callback (the walk
    /// holds a list's lock, and taking the group offline would splice the walked list under it).
    /// </exception>
    public void Offline()
    {
        if (IsRoot)
        {
            Throw.InvalidOperation("The root memory group cannot be taken offline.");
        }

        if (LruList.IsWalkingOnThisThread)
        {
            Throw.InvalidOperation(
                $"Memory group '{Path}' cannot be taken offline from inside a ListLru isolate callback: the walk holds a list's lock, and Offline splices the group's lists into its parent's. Take it offline after the walk.");
        }

        Registry.OfflineGroup(this);
    }

    /// <summary>The group's <see cref="Path"/>.</summary>
    /// <returns>The path from the root.</returns>
    public override string ToString() => Path;

    internal static MemoryGroup CreateRoot(ShrinkerRegistry registry, int unitCount) =>
        new(registry, 1, string.Empty, null, unitCount);

    internal static MemoryGroup CreateChild(MemoryGroup parent, long id, string name, int unitCount) =>
        new(parent.Registry, id, name, parent, unitCount);

    /// <summary>This group if online, else its nearest online ancestor (the root is always online).</summary>
    internal MemoryGroup NearestOnline()
    {
        MemoryGroup group = this;
        while (!group.IsOnline)
        {
            group = group.Parent!;
        }

        return group;
    }

    /// <summary>Whether <paramref name="other"/> is this group or below it.</summary>
    internal bool Contains(MemoryGroup other)
    {
        for (MemoryGroup? g = other; g is not null; g = g.Parent)
        {
            if (ReferenceEquals(g, this))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A pre-order walk of this group's subtree, this group first (<c>mem_cgroup_iter</c>): <c>foreach</c> over it
    /// allocates nothing. Lock-free; see <see cref="SubtreeWalk"/> for what it sees while groups come and go.
    /// </summary>
    internal SubtreeWalk WalkSubtree() => new(this);

    /// <summary>
    /// Links a new child in a new node whose parent link is this group's own node (null for the root): walks standing
    /// on the child climb through it. Under the registry's gate; this group is online, hence linked.
    /// </summary>
    internal void LinkChild(MemoryGroup child)
    {
        Debug.Assert(IsOnline && (IsRoot || _siblingNode is not null), "Linking a child under a group that is not linked.");
        Debug.Assert(child._siblingNode is null, "Linking a child that has a node.");
        var node = new RcuListNode<MemoryGroup>(child, _siblingNode);
        RcuList.Append(ref _firstChild, ref _lastChild, node);
        child._siblingNode = node;
    }

    /// <summary>
    /// Unlinks an offline child whose own children are unlinked already, leaving its node's links for walkers standing
    /// on it, and drops the child's reference to its node. Under the registry's gate.
    /// </summary>
    internal void UnlinkChild(MemoryGroup child)
    {
        RcuListNode<MemoryGroup>? node = child._siblingNode;
        Debug.Assert(node is not null && ReferenceEquals(node.Item, child) && ReferenceEquals(child.Parent, this), "Unlinking a group that is not a linked child.");
        Debug.Assert(!child.IsOnline && child._firstChild is null, "Unlinking a child that is online or still has linked children.");
        RcuList.Remove(ref _firstChild, ref _lastChild, node);
        child._siblingNode = null;
    }

    /// <summary>Marks the group offline. Under the registry's gate; the caller then reparents its state.</summary>
    internal void MarkOffline() => _online = false;

    /// <summary>Whether an online child already has <paramref name="name"/>. Under the registry's gate.</summary>
    internal bool HasOnlineChild(string name)
    {
        for (RcuListNode<MemoryGroup>? n = _firstChild; n is not null; n = n.Next)
        {
            if (n.Item.IsOnline && string.Equals(n.Item.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
