using System.Diagnostics;

namespace Reclaim.Reaction;

/// <summary>
/// The one shrinker of a trial's registry: a cache that always holds a million objects (it refills at once), and that
/// records when reclaim first counted it after <see cref="Arm"/>. A pass counts every shrinker before it scans any, so
/// the first count is the first <c>ShrinkSlab</c> of the reclaimer's run.
/// </summary>
internal sealed class Probe : IDisposable
{
    private const long Objects = 1_000_000;

    private readonly Shrinker _shrinker;
    private int _armed;
    private long _firstCount;
    private int _gen2AtFirstCount;
    private long _countsBeforeArm;

    public Probe(ShrinkerRegistry registry)
    {
        _shrinker = registry.Alloc("reaction-probe");
        _shrinker.CountObjects = Count;
        _shrinker.ScanObjects = Scan;
        _shrinker.Register();
    }

    /// <summary><see cref="Stopwatch"/> timestamp of the first count after <see cref="Arm"/>; 0 before it.</summary>
    public long FirstCount => Volatile.Read(ref _firstCount);

    /// <summary>How many gen2 collections had happened when the first count ran.</summary>
    public int Gen2AtFirstCount => Volatile.Read(ref _gen2AtFirstCount);

    /// <summary>Counts before <see cref="Arm"/>: a run the trial did not ask for.</summary>
    public long CountsBeforeArm => Interlocked.Read(ref _countsBeforeArm);

    public void Arm() => Volatile.Write(ref _armed, 1);

    public void Dispose() => _shrinker.Free();

    private long Count(Shrinker shrinker, ref ShrinkControl control)
    {
        if (Volatile.Read(ref _armed) == 0)
        {
            Interlocked.Increment(ref _countsBeforeArm);
        }
        else if (Volatile.Read(ref _firstCount) == 0)
        {
            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref _gen2AtFirstCount, GC.CollectionCount(2));
            Interlocked.CompareExchange(ref _firstCount, now, 0);
        }

        return Objects;
    }

    private static long Scan(Shrinker shrinker, ref ShrinkControl control) => control.NrToScan;
}
