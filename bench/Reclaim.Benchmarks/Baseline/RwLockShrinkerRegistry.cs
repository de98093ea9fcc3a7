namespace Reclaim.Benchmarks.Baseline;

/// <summary>
/// The baseline: the kernel's shrinker list before 6.7. One reader-writer lock guards a list of shrinkers; a pass holds
/// it for read from its first shrinker to its last, register and unregister hold it for write. So a writer waits for
/// whole passes (every shrinker's callbacks, not just its own), and while a writer waits, new passes wait too.
/// </summary>
/// <remarks>
/// Two simplifications, both in the baseline's favour: the pass blocks on the read lock where the kernel used
/// <c>down_read_trylock</c> and skipped the pass (doing no reclaim at all); and it keeps no statistics, ids or timings.
/// Its per-shrinker arithmetic is <c>do_shrink_slab</c> without the contract checks (see <see cref="DoShrinkSlab"/>).
/// </remarks>
public sealed class RwLockShrinkerRegistry : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly List<RwLockShrinker> _shrinkers = [];

    public int RegisteredCount => _shrinkers.Count;

    public RwLockShrinker Alloc(string name) => new(this, name);

    /// <summary>One pass (<c>shrink_slab</c>) over every registered shrinker, under the read lock.</summary>
    public long ShrinkSlab(int node, int priority)
    {
        long freed = 0;
        _lock.EnterReadLock();
        try
        {
            List<RwLockShrinker> shrinkers = _shrinkers;
            for (int i = 0; i < shrinkers.Count; i++)
            {
                long result = DoShrinkSlab(shrinkers[i], node, priority);
                if (result > 0)
                {
                    freed += result;
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return freed;
    }

    public void Dispose() => _lock.Dispose();

    internal void Register(RwLockShrinker shrinker)
    {
        _lock.EnterWriteLock();
        try
        {
            if (shrinker.Index >= 0)
            {
                throw new InvalidOperationException($"Shrinker '{shrinker.Name}' is already registered.");
            }

            shrinker.Index = _shrinkers.Count;
            _shrinkers.Add(shrinker);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    internal void Unregister(RwLockShrinker shrinker)
    {
        _lock.EnterWriteLock();
        try
        {
            int index = shrinker.Index;
            if (index < 0)
            {
                return;
            }

            // O(1) removal, as the kernel's list_del: move the last shrinker into the hole (order does not matter here).
            RwLockShrinker last = _shrinkers[^1];
            _shrinkers[index] = last;
            last.Index = index;
            _shrinkers.RemoveAt(_shrinkers.Count - 1);
            shrinker.Index = -1;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// <c>do_shrink_slab</c>, kept small: the same count, deferral, delta and batching as
    /// <see cref="ShrinkerRegistry.ShrinkSlab"/>, so both registries ask the callbacks for the same work.
    /// </summary>
    private static long DoShrinkSlab(RwLockShrinker shrinker, int node, int priority)
    {
        var control = new ShrinkControl(node, null, 0);
        long freeable = shrinker.CountObjects!(shrinker, ref control);
        if (freeable <= 0)
        {
            return freeable;
        }

        long nr = Interlocked.Exchange(ref shrinker.Deferred, 0);
        long delta = shrinker.Seeks != 0 ? (freeable >> priority) * 4 / shrinker.Seeks : freeable / 2;
        long totalScan = Math.Min((nr >> priority) + delta, 2 * freeable);
        long batch = shrinker.Batch != 0 ? shrinker.Batch : Shrinker.DefaultBatch;
        long scanned = 0;
        long freed = 0;
        while (totalScan >= batch || totalScan >= freeable)
        {
            control = new ShrinkControl(node, null, Math.Min(batch, totalScan));
            long result = shrinker.ScanObjects!(shrinker, ref control);
            if (result == Shrinker.Stop || control.NrScanned <= 0)
            {
                break;
            }

            freed += result;
            totalScan -= control.NrScanned;
            scanned += control.NrScanned;
        }

        long nextDeferred = Math.Clamp(nr + delta - scanned, 0, 2 * freeable);
        if (nextDeferred != 0)
        {
            Interlocked.Add(ref shrinker.Deferred, nextDeferred);
        }

        return freed;
    }
}
