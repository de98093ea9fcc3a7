using Reclaim.Groups;

namespace Reclaim.Tests.Groups;

/// <summary>
/// A group-aware test shrinker: objects per group (node 0), marking the group's bit on the first object as a
/// <c>list_lru</c> would, and counting how often each group's pass called it.
/// </summary>
internal sealed class PerGroupShrinker
{
    private readonly Dictionary<long, long> _objects = [];
    private readonly Dictionary<long, int> _counts = [];
    private readonly Lock _gate = new();

    public PerGroupShrinker(ShrinkerRegistry registry, string name, ShrinkerFlags extraFlags = ShrinkerFlags.None, bool register = true)
    {
        Shrinker = registry.Alloc(name, ShrinkerFlags.GroupAware | extraFlags);
        Shrinker.PrivateData = this;
        Shrinker.CountObjects = static (Shrinker s, ref ShrinkControl sc) => ((PerGroupShrinker)s.PrivateData!).Count(sc.Group!);
        Shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl sc) => ((PerGroupShrinker)s.PrivateData!).Scan(sc.Group!, sc.NrToScan);
        if (register)
        {
            Shrinker.Register();
        }
    }

    public Shrinker Shrinker { get; }

    /// <summary>Bytes charged per object when <see cref="ChargeGroups"/> is set.</summary>
    public long BytesPerObject { get; init; } = 1;

    public bool ChargeGroups { get; init; }

    public void Add(MemoryGroup group, long objects)
    {
        if (ChargeGroups)
        {
            group.Charge(objects * BytesPerObject);
        }

        bool first;
        lock (_gate)
        {
            long before = _objects.GetValueOrDefault(group.Id);
            _objects[group.Id] = before + objects;
            first = before == 0;
        }

        if (first)
        {
            Shrinker.MarkHasObjects(group);
        }
    }

    public long ObjectsIn(MemoryGroup group)
    {
        lock (_gate)
        {
            return _objects.GetValueOrDefault(group.Id);
        }
    }

    public int CountCallsFor(MemoryGroup group)
    {
        lock (_gate)
        {
            return _counts.GetValueOrDefault(group.Id);
        }
    }

    private long Count(MemoryGroup group)
    {
        lock (_gate)
        {
            _counts[group.Id] = _counts.GetValueOrDefault(group.Id) + 1;
            long n = _objects.GetValueOrDefault(group.Id);
            return n > 0 ? n : Shrinker.Empty;
        }
    }

    private long Scan(MemoryGroup group, long nrToScan)
    {
        long freed;
        lock (_gate)
        {
            long n = _objects.GetValueOrDefault(group.Id);
            freed = Math.Min(n, nrToScan);
            _objects[group.Id] = n - freed;
        }

        if (ChargeGroups)
        {
            group.Uncharge(freed * BytesPerObject);
        }

        return freed;
    }
}
