using System.Collections.Concurrent;
using Reclaim.Groups;

namespace Reclaim.Soak;

/// <summary>
/// The harness's name for a memory group, and the bytes the harness charged through it (charged minus uncharged).
/// When its group goes offline the handle is retired (during a pause): its bytes move to the handle of the nearest
/// online ancestor and it forwards there, so the harness keeps no reference to offline groups (they must be collectable).
/// </summary>
internal sealed class GroupHandle(MemoryGroup group, bool limited)
{
    private long _net;

    /// <summary>The group; null once retired.</summary>
    public MemoryGroup? Group { get; private set; } = group;

    /// <summary>Where a retired handle's bytes went.</summary>
    public GroupHandle? Forward { get; private set; }

    /// <summary>Whether the group has a finite High or Max (charges to it may reclaim or be refused).</summary>
    public bool Limited { get; } = limited;

    public long Net => Volatile.Read(ref _net);

    public GroupHandle Resolve()
    {
        GroupHandle handle = this;
        while (handle.Forward is { } next)
        {
            handle = next;
        }

        return handle;
    }

    public void AddNet(long bytes) => Interlocked.Add(ref _net, bytes);

    /// <summary>Moves the bytes into <paramref name="target"/> and forwards there. Only while the world is paused.</summary>
    public void RetireInto(GroupHandle target)
    {
        target.AddNet(Interlocked.Exchange(ref _net, 0));
        Forward = target;
        Group = null;
    }
}

/// <summary>
/// The groups the harness charges through handles (the root and the ledger subtree), and the charge ledger: every byte
/// the harness charges or uncharges through <see cref="TryCharge"/> and <see cref="Uncharge"/> is recorded on the handle.
/// Checked (while paused): every online group's usage equals the bytes recorded on the handles of its subtree.
/// </summary>
internal sealed class Ledger
{
    private readonly ConcurrentDictionary<MemoryGroup, GroupHandle> _byGroup = new();
    private GroupHandle[] _snapshot = [];
    private long _recorded;

    public Ledger(ShrinkerRegistry registry)
    {
        Registry = registry;
        RootHandle = Track(registry.Root, limited: false);
    }

    public ShrinkerRegistry Registry { get; }

    /// <summary>Charges and uncharges recorded.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    public GroupHandle RootHandle { get; }

    /// <summary>The handles of online (or not yet retired) groups, as of the last change.</summary>
    public GroupHandle[] Handles => Volatile.Read(ref _snapshot);

    public GroupHandle Track(MemoryGroup group, bool limited)
    {
        var handle = new GroupHandle(group, limited);
        _byGroup[group] = handle;
        Refresh();
        return handle;
    }

    public GroupHandle? HandleOf(MemoryGroup group) => _byGroup.GetValueOrDefault(group);

    /// <summary>Charges through the handle; records the bytes when the group took them.</summary>
    public bool TryCharge(GroupHandle handle, long bytes)
    {
        GroupHandle target = handle.Resolve();
        if (!target.Group!.TryCharge(bytes))
        {
            return false;
        }

        target.AddNet(bytes);
        Interlocked.Increment(ref _recorded);
        return true;
    }

    /// <summary>Uncharges through the handle (the group, or the nearest online ancestor it forwards to) and records it.</summary>
    public void Uncharge(GroupHandle handle, long bytes)
    {
        GroupHandle target = handle.Resolve();
        target.Group!.Uncharge(bytes);
        target.AddNet(-bytes);
        Interlocked.Increment(ref _recorded);
    }

    /// <summary>
    /// Retires the handles of groups now offline into their nearest online ancestor's handle. Only while paused.
    /// Returns the retired groups (for the leak tracker).
    /// </summary>
    public List<MemoryGroup> RetireOffline()
    {
        var retired = new List<MemoryGroup>();
        foreach ((MemoryGroup group, GroupHandle handle) in _byGroup)
        {
            if (group.IsOnline)
            {
                continue;
            }

            MemoryGroup ancestor = group.Parent!;
            while (!ancestor.IsOnline)
            {
                ancestor = ancestor.Parent!;
            }

            GroupHandle target = _byGroup.GetValueOrDefault(ancestor) ?? throw new InvalidOperationException(
                $"The ledger tracks no handle for '{ancestor.Path}', the online ancestor of '{group.Path}'.");
            handle.RetireInto(target);
            _byGroup.TryRemove(group, out _);
            retired.Add(group);
        }

        if (retired.Count > 0)
        {
            Refresh();
        }

        return retired;
    }

    /// <summary>
    /// The usage each group should have from the ledger alone: the bytes recorded on the handles of its subtree
    /// (a handle of an offline group counts toward its ancestors, as its charges do).
    /// </summary>
    public Dictionary<MemoryGroup, long> ExpectedUsage()
    {
        var expected = new Dictionary<MemoryGroup, long>();
        foreach (GroupHandle handle in _byGroup.Values)
        {
            long net = handle.Net;
            for (MemoryGroup? g = handle.Group; g is not null; g = g.Parent)
            {
                expected[g] = expected.GetValueOrDefault(g) + net;
            }
        }

        return expected;
    }

    public long TotalNet() => _byGroup.Values.Sum(h => h.Net);

    private void Refresh() => Volatile.Write(ref _snapshot, [.. _byGroup.Values]);
}
