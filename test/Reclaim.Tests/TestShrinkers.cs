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

/// <summary>
/// A registered shrinker whose scan (or count) stops at a gate: the test starts a pass, waits until the pass is inside
/// the callback, does what it tests while the callback is held, then releases it. Every wait has a timeout.
/// </summary>
internal sealed class GatedShrinker : IDisposable
{
    private readonly ManualResetEventSlim _inside = new();
    private readonly ManualResetEventSlim _release = new();
    private int _gatedCalls;

    /// <param name="registry">The registry to register in.</param>
    /// <param name="name">The shrinker's name.</param>
    /// <param name="gateCount">Hold the count callback (which then returns 0) instead of the scan.</param>
    public GatedShrinker(ShrinkerRegistry registry, string name, bool gateCount = false)
    {
        Shrinker = registry.Alloc(name);
        Shrinker.CountObjects = gateCount
            ? (Shrinker _, ref ShrinkControl _) => { Hold(); return 0; }
            : (Shrinker _, ref ShrinkControl _) => 10;
        Shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) => { Hold(); return sc.NrToScan; };
        Shrinker.Register();
    }

    public Shrinker Shrinker { get; }

    /// <summary>How many calls have reached the gate.</summary>
    public int GatedCalls => Volatile.Read(ref _gatedCalls);

    /// <summary>Starts a root pass on its own thread and returns once it is held inside the gated callback.</summary>
    public Task StartPassAndWaitInside()
    {
        Task pass = Threaded.Start(() => Shrinker.Registry.ShrinkSlab(0, null, 0));
        Assert.True(_inside.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "the pass never reached the gated callback");
        return pass;
    }

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _inside.Dispose();
        _release.Dispose();
    }

    private void Hold()
    {
        Interlocked.Increment(ref _gatedCalls);
        _inside.Set();
        _release.Wait(Threaded.Timeout);
    }
}
