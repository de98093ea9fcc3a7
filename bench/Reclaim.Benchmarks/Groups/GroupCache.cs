using Reclaim.Groups;

namespace Reclaim.Benchmarks.Groups;

/// <summary>
/// A group-aware shrinker over per-group object counts (one slot per group id), refilled on every count so a pass
/// always finds the same work. Count is an array read; scan takes what it is asked for.
/// </summary>
internal sealed class GroupCache
{
    private readonly long[] _objects;
    private readonly long _refill;

    private GroupCache(int maxGroupId, long refill)
    {
        _objects = new long[maxGroupId + 1];
        _refill = refill;
    }

    public static Shrinker Register(ShrinkerRegistry registry, int maxGroupId, long refill, out GroupCache cache)
    {
        var state = new GroupCache(maxGroupId, refill);
        Shrinker s = registry.Alloc("group-cache", ShrinkerFlags.GroupAware);
        s.PrivateData = state;
        s.CountObjects = static (Shrinker self, ref ShrinkControl sc) => ((GroupCache)self.PrivateData!).Count(sc.Group!);
        s.ScanObjects = static (Shrinker self, ref ShrinkControl sc) => ((GroupCache)self.PrivateData!).Scan(sc.Group!, sc.NrToScan);
        s.Register();
        cache = state;
        return s;
    }

    /// <summary>Puts objects in <paramref name="group"/> and marks the shrinker's bit there, as list_lru_add would.</summary>
    public void Fill(Shrinker shrinker, MemoryGroup group, long objects)
    {
        _objects[group.Id] = objects;
        shrinker.MarkHasObjects(group);
    }

    private long Count(MemoryGroup group)
    {
        long n = _objects[group.Id];
        if (_refill > 0 && n < _refill)
        {
            _objects[group.Id] = n = _refill;
        }

        return n > 0 ? n : Shrinker.Empty;
    }

    private long Scan(MemoryGroup group, long nrToScan)
    {
        long n = _objects[group.Id];
        long freed = Math.Min(n, nrToScan);
        _objects[group.Id] = n - freed;
        return freed;
    }
}
