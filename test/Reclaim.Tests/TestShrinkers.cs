namespace Reclaim.Tests;

/// <summary>Shrinkers for tests: a pool of objects that count reports and scan takes from.</summary>
internal static class TestShrinkers
{
    /// <summary>Allocates and registers a shrinker over a counter of <paramref name="objects"/> objects.</summary>
    public static Shrinker Counter(ShrinkerRegistry registry, string name, long objects, out StrongBox<long> box)
    {
        var holder = new StrongBox<long>(objects);
        Shrinker shrinker = registry.Alloc(name);
        shrinker.CountObjects = (Shrinker _, ref ShrinkControl _) => Interlocked.Read(ref holder.Value);
        shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            long take = Math.Min(sc.NrToScan, Interlocked.Read(ref holder.Value));
            Interlocked.Add(ref holder.Value, -take);
            return take;
        };
        shrinker.Register();
        box = holder;
        return shrinker;
    }
}

/// <summary>A mutable box (System.Runtime.CompilerServices.StrongBox without the import noise).</summary>
internal sealed class StrongBox<T>(T value)
{
    public T Value = value;
}
