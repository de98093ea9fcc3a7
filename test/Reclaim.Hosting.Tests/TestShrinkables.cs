namespace Reclaim.Hosting.Tests;

/// <summary>Holds a number of objects (only counted); a scan frees up to what it is asked for.</summary>
internal sealed class CountingShrinkable : IShrinkable
{
    private long _objects = 100_000;
    private long _scanned;

    public long Objects
    {
        get => Volatile.Read(ref _objects);
        set => Volatile.Write(ref _objects, value);
    }

    public long Scanned => Volatile.Read(ref _scanned);

    public long CountObjects(ref ShrinkControl control)
    {
        long objects = Objects;
        return objects > 0 ? objects : Shrinker.Empty;
    }

    public long ScanObjects(ref ShrinkControl control)
    {
        Interlocked.Add(ref _scanned, control.NrToScan);
        long freed = Math.Min(control.NrToScan, Objects);
        Interlocked.Add(ref _objects, -freed);
        return freed;
    }
}

/// <summary>Has objects but throws from every scan.</summary>
internal sealed class ThrowingShrinkable : IShrinkable
{
    public long CountObjects(ref ShrinkControl control) => 10;

    public long ScanObjects(ref ShrinkControl control) => throw new InvalidOperationException("scan failed on purpose");
}

/// <summary>Answers its count outside the contract.</summary>
internal sealed class LyingShrinkable : IShrinkable
{
    public long CountObjects(ref ShrinkControl control) => -5;

    public long ScanObjects(ref ShrinkControl control) => 0;
}

/// <summary>Blocks its first scan until released, so a test can hold a reclaim run inside it.</summary>
internal sealed class GatedShrinkable : IShrinkable, IDisposable
{
    private readonly ManualResetEventSlim _gate = new();
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a scan is inside and waiting.</summary>
    public Task Entered => _entered.Task;

    public long CountObjects(ref ShrinkControl control) => 100_000;

    public long ScanObjects(ref ShrinkControl control)
    {
        _entered.TrySetResult();
        if (!_gate.Wait(Threaded.Timeout))
        {
            throw new TimeoutException("the test never released the gated scan");
        }

        return control.NrToScan;
    }

    public void Release() => _gate.Set();

    public void Dispose() => _gate.Dispose();
}

/// <summary>Group-aware: keeps the shrinker it is handed and marks the group it gets objects in.</summary>
internal sealed class GroupShrinkable : IShrinkable
{
    private long _objects;

    public Shrinker? Shrinker { get; private set; }

    public long Objects => Volatile.Read(ref _objects);

    public void Attach(Shrinker shrinker) => Shrinker = shrinker;

    public void Fill(Groups.MemoryGroup group, long objects)
    {
        Volatile.Write(ref _objects, objects);
        Shrinker!.MarkHasObjects(group);
    }

    public long CountObjects(ref ShrinkControl control) => control.Group is { IsRoot: false } ? Objects : 0;

    public long ScanObjects(ref ShrinkControl control)
    {
        long freed = Math.Min(control.NrToScan, Objects);
        Interlocked.Add(ref _objects, -freed);
        return freed;
    }
}
