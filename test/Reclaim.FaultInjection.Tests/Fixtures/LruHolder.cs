using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>An item of an <see cref="LruHolder"/>: charged <see cref="Bytes"/> to <see cref="Group"/> while held.</summary>
internal sealed class HeldItem(MemoryGroup group, long bytes) : ListLruItem
{
    public MemoryGroup Group { get; } = group;

    public long Bytes { get; } = bytes;
}

/// <summary>
/// A holder the way the ready ones are built: a group-aware shrinker over a <see cref="ListLru{T}"/>, each item charged to
/// its group when added and uncharged when reclaim takes it. Hooks run inside the callbacks (before a count, before a
/// scan, on each item of a walk) to inject faults; the isolate hook may answer for an item or return null for
/// <see cref="LruWalkResult.Removed"/>.
/// </summary>
internal sealed class LruHolder : IDisposable
{
    private int _scanCalls;
    private int _countCalls;

    public LruHolder(ShrinkerRegistry registry, string name, long bytesPerItem = 100, int batch = 0)
    {
        BytesPerItem = bytesPerItem;
        Shrinker = registry.Alloc(name, ShrinkerFlags.GroupAware);
        Shrinker.Batch = batch;
        Lru = new ListLru<HeldItem>(Shrinker);
        Shrinker.CountObjects = (Shrinker _, ref ShrinkControl control) =>
        {
            int call = Interlocked.Increment(ref _countCalls) - 1;
            BeforeCount?.Invoke(control.Group!, call);
            return Lru.ShrinkCount(ref control);
        };
        Shrinker.ScanObjects = (Shrinker _, ref ShrinkControl control) =>
        {
            int call = Interlocked.Increment(ref _scanCalls) - 1;
            BeforeScan?.Invoke(control.Group!, call);
            var removed = new List<HeldItem>();
            try
            {
                return Lru.ShrinkWalk(ref control, Isolate, ref removed);
            }
            finally
            {
                // Items taken off the list before an isolate threw are gone all the same: give their bytes back.
                foreach (HeldItem item in removed)
                {
                    item.Group.Uncharge(item.Bytes);
                }
            }
        };
        Shrinker.Register();
    }

    public Shrinker Shrinker { get; }

    public ListLru<HeldItem> Lru { get; }

    public long BytesPerItem { get; }

    /// <summary>Runs at the start of every count, with the pass's group and the call's index.</summary>
    public Action<MemoryGroup, int>? BeforeCount { get; set; }

    /// <summary>Runs at the start of every scan, before the walk.</summary>
    public Action<MemoryGroup, int>? BeforeScan { get; set; }

    /// <summary>Runs on each item a walk visits (with the walk's item index over the holder's life); null means Removed.</summary>
    public Func<HeldItem, int, LruWalkResult?>? OnItem { get; set; }

    public int ScanCalls => Volatile.Read(ref _scanCalls);

    public int CountCalls => Volatile.Read(ref _countCalls);

    /// <summary>Bytes charged for the items still held.</summary>
    public long HeldBytes => Lru.Count * BytesPerItem;

    private int _visited;

    /// <summary>Charges and adds <paramref name="count"/> items to <paramref name="group"/>.</summary>
    public void Add(MemoryGroup group, int count)
    {
        for (int i = 0; i < count; i++)
        {
            group.Charge(BytesPerItem);
            Assert.True(Lru.Add(new HeldItem(group, BytesPerItem), 0, group));
        }
    }

    public void Dispose()
    {
        Shrinker.Free();
        Lru.Dispose();
    }

    private LruWalkResult Isolate(HeldItem item, ref List<HeldItem> removed)
    {
        int index = Interlocked.Increment(ref _visited) - 1;
        LruWalkResult result = OnItem?.Invoke(item, index) ?? LruWalkResult.Removed;
        if (result is LruWalkResult.Removed or LruWalkResult.RemovedRetry)
        {
            removed.Add(item);
        }

        return result;
    }
}
