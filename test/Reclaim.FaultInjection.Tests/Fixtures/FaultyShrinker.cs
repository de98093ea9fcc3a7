using Reclaim.Groups;

namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>A replacement for one of a <see cref="FaultyShrinker"/>'s callbacks; <paramref name="call"/> counts that callback's calls from 0.</summary>
internal delegate long FaultyCallback(FaultyShrinker self, ref ShrinkControl control, int call);

/// <summary>
/// A registered shrinker over a counter of objects, each optionally charged <see cref="BytesPerObject"/> to
/// <see cref="Group"/>: its honest count answers the objects it holds, its honest scan takes up to the objects asked
/// and uncharges their bytes. <see cref="Count"/> and <see cref="Scan"/> replace either callback (at any time, even
/// while registered) with a fault. It records every call, and any call that starts after <see cref="Free"/> returned.
/// </summary>
internal sealed class FaultyShrinker : IDisposable
{
    private long _objects;
    private int _countCalls;
    private int _scanCalls;
    private int _callsAfterFree;
    private long _freed;
    private volatile bool _freeReturned;

    /// <param name="registry">Where to register.</param>
    /// <param name="name">The shrinker's name (make it unique: the event source is process-wide).</param>
    /// <param name="objects">Objects held at the start.</param>
    /// <param name="group">
    /// Where the objects are charged (when <paramref name="bytesPerObject"/> is above 0) and, for a group-aware
    /// shrinker, the only group its honest count answers for (and marks).
    /// </param>
    /// <param name="bytesPerObject">Bytes charged per object; 0 charges nothing.</param>
    /// <param name="flags">The shrinker's flags.</param>
    /// <param name="batch">Objects per scan call.</param>
    /// <param name="seeks">The shrinker's seeks.</param>
    public FaultyShrinker(
        ShrinkerRegistry registry,
        string name,
        long objects,
        MemoryGroup? group = null,
        long bytesPerObject = 0,
        ShrinkerFlags flags = ShrinkerFlags.None,
        int batch = 100,
        int seeks = Shrinker.DefaultSeeks)
    {
        Group = group;
        BytesPerObject = bytesPerObject;
        _objects = objects;
        if (group is not null && bytesPerObject > 0)
        {
            group.Charge(objects * bytesPerObject);
        }

        Shrinker = registry.Alloc(name, flags);
        Shrinker.Batch = batch;
        Shrinker.Seeks = seeks;
        Shrinker.CountObjects = OnCount;
        Shrinker.ScanObjects = OnScan;
        Shrinker.Register();
        if (group is not null && Shrinker.IsGroupAware)
        {
            Shrinker.MarkHasObjects(group);
        }
    }

    public Shrinker Shrinker { get; }

    public string Name => Shrinker.Name;

    public MemoryGroup? Group { get; }

    public long BytesPerObject { get; }

    /// <summary>Replaces the count callback; null for the honest one.</summary>
    public FaultyCallback? Count { get; set; }

    /// <summary>Replaces the scan callback; null for the honest one.</summary>
    public FaultyCallback? Scan { get; set; }

    /// <summary>Objects held now.</summary>
    public long Objects => Interlocked.Read(ref _objects);

    /// <summary>Objects the honest scan really took (what the holder gave back, whatever any callback answered).</summary>
    public long ObjectsTaken => Interlocked.Read(ref _freed);

    /// <summary>Bytes still charged for the objects held.</summary>
    public long HeldBytes => Objects * BytesPerObject;

    public int CountCalls => Volatile.Read(ref _countCalls);

    public int ScanCalls => Volatile.Read(ref _scanCalls);

    public int Calls => CountCalls + ScanCalls;

    /// <summary>Callbacks that started after <see cref="Free"/> returned: must stay 0.</summary>
    public int CallsAfterFree => Volatile.Read(ref _callsAfterFree);

    public ShrinkerStatistics Statistics => Shrinker.GetStatistics();

    /// <summary>The honest count: the objects held (<see cref="Shrinker.Empty"/> when none, or for another group).</summary>
    public long HonestCount(ref ShrinkControl control)
    {
        if (Shrinker.IsGroupAware && Group is not null && !ReferenceEquals(control.Group, Group))
        {
            return Shrinker.Empty;
        }

        long objects = Objects;
        return objects > 0 ? objects : Shrinker.Empty;
    }

    /// <summary>The honest scan: takes up to <see cref="ShrinkControl.NrToScan"/> objects and uncharges their bytes.</summary>
    public long HonestScan(ref ShrinkControl control) => Take(control.NrToScan);

    /// <summary>Takes up to <paramref name="wanted"/> objects (uncharging them); returns how many.</summary>
    public long Take(long wanted)
    {
        long seen = Interlocked.Read(ref _objects);
        while (true)
        {
            long take = Math.Clamp(wanted, 0, seen);
            long previous = Interlocked.CompareExchange(ref _objects, seen - take, seen);
            if (previous == seen)
            {
                Interlocked.Add(ref _freed, take);
                if (take > 0 && Group is not null && BytesPerObject > 0)
                {
                    Group.Uncharge(take * BytesPerObject);
                }

                return take;
            }

            seen = previous;
        }
    }

    /// <summary>Frees the shrinker; from then on any callback that starts is counted in <see cref="CallsAfterFree"/>.</summary>
    public void Free()
    {
        Shrinker.Free();
        _freeReturned = true;
    }

    public void Dispose() => Free();

    private long OnCount(Shrinker shrinker, ref ShrinkControl control)
    {
        NoteCall();
        int call = Interlocked.Increment(ref _countCalls) - 1;
        FaultyCallback? fault = Count;
        return fault is null ? HonestCount(ref control) : fault(this, ref control, call);
    }

    private long OnScan(Shrinker shrinker, ref ShrinkControl control)
    {
        NoteCall();
        int call = Interlocked.Increment(ref _scanCalls) - 1;
        FaultyCallback? fault = Scan;
        return fault is null ? HonestScan(ref control) : fault(this, ref control, call);
    }

    private void NoteCall()
    {
        if (_freeReturned)
        {
            Interlocked.Increment(ref _callsAfterFree);
        }
    }
}

