using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.Tests.Lru;

public class ListLruTests
{
    private sealed class Entry(int key) : ListLruItem
    {
        public int Key { get; } = key;

        public override string ToString() => Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The walk's record: the keys visited in order, and a scripted answer per key.</summary>
    private struct Script
    {
        public List<int> Visited;
        public Func<Entry, LruWalkResult> Answer;
    }

    private static (ShrinkerRegistry Registry, ListLru<Entry> Lru, Entry[] Entries) Make(int count, ShrinkerFlags flags = ShrinkerFlags.GroupAware, int nodes = 1)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = nodes });
        Shrinker shrinker = registry.Alloc("lru", flags);
        var lru = new ListLru<Entry>(shrinker);
        shrinker.PrivateData = lru;
        shrinker.CountObjects = static (Shrinker s, ref ShrinkControl sc) => ((ListLru<Entry>)s.PrivateData!).ShrinkCount(ref sc);
        shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl sc) =>
        {
            int unused = 0;
            return ((ListLru<Entry>)s.PrivateData!).ShrinkWalk(ref sc, static (Entry _, ref int _) => LruWalkResult.Removed, ref unused);
        };
        shrinker.Register();
        Entry[] entries = Enumerable.Range(0, count).Select(i => new Entry(i)).ToArray();
        foreach (Entry e in entries)
        {
            Assert.True(lru.Add(e));
        }

        return (registry, lru, entries);
    }

    private static List<int> Walk(ListLru<Entry> lru, long budget, Func<Entry, LruWalkResult> answer, out long removed, MemoryGroup? group = null)
    {
        var script = new Script { Visited = [], Answer = answer };
        removed = lru.Walk(0, group, static (Entry e, ref Script s) => { s.Visited.Add(e.Key); return s.Answer(e); }, ref script, ref budget);
        return script.Visited;
    }

    private static List<int> Order(ListLru<Entry> lru)
    {
        List<int> keys = Walk(lru, long.MaxValue, _ => LruWalkResult.Skip, out _);
        return keys;
    }

    [Fact]
    public void Add_AlreadyListed_ReturnsFalseAndCountsOnce()
    {
        var (_, lru, entries) = Make(3);

        Assert.False(lru.Add(entries[1]));

        Assert.Equal(3, lru.Count);
        Assert.Equal(3, lru.CountOf());
        Assert.Equal([0, 1, 2], Order(lru));
        Assert.True(entries[0].IsListed);
    }

    [Fact]
    public void Remove_ThenAddAgain_GoesToHotEnd()
    {
        var (_, lru, entries) = Make(3);

        Assert.True(lru.Remove(entries[0]));
        Assert.False(lru.Remove(entries[0]));
        Assert.False(entries[0].IsListed);
        Assert.True(lru.Add(entries[0]));

        Assert.Equal([1, 2, 0], Order(lru));
    }

    [Fact]
    public void Rotate_MovesToHotEnd()
    {
        var (_, lru, entries) = Make(4);

        Assert.True(lru.Rotate(entries[1]));

        Assert.Equal([0, 2, 3, 1], Order(lru));
    }

    [Fact]
    public void Walk_Removed_TakesItemsFromColdEnd()
    {
        var (_, lru, entries) = Make(5);

        List<int> visited = Walk(lru, 3, _ => LruWalkResult.Removed, out long removed);

        Assert.Equal([0, 1, 2], visited);
        Assert.Equal(3, removed);
        Assert.Equal([3, 4], Order(lru));
        Assert.False(entries[0].IsListed);
        Assert.Equal(2, lru.Count);
    }

    [Fact]
    public void Walk_Rotate_SecondChanceThenRemoved()
    {
        var (_, lru, _) = Make(4);
        var referenced = new HashSet<int> { 0, 2 };

        List<int> visited = Walk(lru, 6, e => referenced.Remove(e.Key) ? LruWalkResult.Rotate : LruWalkResult.Removed, out long removed);

        // 0 and 2 rotate to the hot end, 1 and 3 go, then the rotated ones come round again and go.
        Assert.Equal([0, 1, 2, 3, 0, 2], visited);
        Assert.Equal(4, removed);
        Assert.Equal(0, lru.Count);
    }

    [Fact]
    public void Walk_Skip_LeavesItemsInPlace()
    {
        var (_, lru, _) = Make(3);

        List<int> visited = Walk(lru, 10, e => e.Key == 1 ? LruWalkResult.Removed : LruWalkResult.Skip, out long removed);

        Assert.Equal([0, 1, 2], visited);
        Assert.Equal(1, removed);
        Assert.Equal([0, 2], Order(lru));
    }

    [Fact]
    public void Walk_Stop_EndsTheWalk()
    {
        var (_, lru, _) = Make(5);

        List<int> visited = Walk(lru, 10, e => e.Key == 2 ? LruWalkResult.Stop : LruWalkResult.Removed, out long removed);

        Assert.Equal([0, 1, 2], visited);
        Assert.Equal(2, removed);
        Assert.Equal([2, 3, 4], Order(lru));
    }

    [Fact]
    public void Walk_RetryForever_EndsWhenBudgetRunsOut()
    {
        var (_, lru, _) = Make(3);

        List<int> visited = Walk(lru, 5, _ => LruWalkResult.Retry, out long removed);

        Assert.Equal([0, 0, 0, 0, 0], visited); // the budget falls before each call, so Retry cannot livelock
        Assert.Equal(0, removed);
    }

    [Fact]
    public void Walk_RemovedRetry_RestartsFromColdEnd()
    {
        var (_, lru, _) = Make(4);
        int calls = 0;

        List<int> visited = Walk(lru, 10, e => ++calls == 2 ? LruWalkResult.RemovedRetry : LruWalkResult.Skip, out long removed);

        // 0 skipped, 1 removed (restart), then 0, 2, 3 skipped.
        Assert.Equal([0, 1, 0, 2, 3], visited);
        Assert.Equal(1, removed);
    }

    [Fact]
    public void Walk_BudgetLeft_IsReturnedThroughRef()
    {
        var (_, lru, _) = Make(3);
        long budget = 10;
        int state = 0;

        lru.Walk(0, null, static (Entry _, ref int s) => { s++; return LruWalkResult.Skip; }, ref state, ref budget);

        Assert.Equal(3, state);
        Assert.Equal(7, budget);
    }

    [Fact]
    public void Walk_ReentrantAddOrRemove_ThrowsInsteadOfDeadlocking()
    {
        var (_, lru, entries) = Make(2);
        var stranger = new Entry(99);
        Exception? onAdd = null, onRemove = null;

        Walk(lru, 1, e =>
        {
            onAdd = Record.Exception(() => lru.Add(stranger));
            onRemove = Record.Exception(() => lru.Remove(entries[1]));
            return LruWalkResult.Skip;
        }, out _);

        Assert.Contains("may not add or remove", Assert.IsType<InvalidOperationException>(onAdd).Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(onRemove);
        Assert.False(stranger.IsListed);
        Assert.Equal(2, lru.Count);
    }

    [Fact]
    public void Add_FirstItemOfGroup_MarksShrinkerBitAndRemoveDoesNotClearIt()
    {
        var (registry, lru, _) = Make(0);
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var e = new Entry(1);

        lru.Add(e, 0, tenant);
        Assert.True(tenant.IsShrinkerBitSet(0, lru.Shrinker.GroupAwareId));
        lru.Remove(e);
        Assert.True(tenant.IsShrinkerBitSet(0, lru.Shrinker.GroupAwareId));

        // The next pass finds the list empty and clears the bit lazily.
        registry.ShrinkSlab(0, tenant, 0);
        Assert.False(tenant.IsShrinkerBitSet(0, lru.Shrinker.GroupAwareId));
    }

    [Fact]
    public void ShrinkCountAndWalk_ThroughPasses_CountPerGroupAndReturnEmpty()
    {
        var (registry, lru, _) = Make(10);
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        for (int i = 0; i < 300; i++)
        {
            lru.Add(new Entry(100 + i), 0, tenant);
        }

        var control = new ShrinkControl(0, tenant, 0);
        Assert.Equal(300, lru.ShrinkCount(ref control));
        var empty = new ShrinkControl(0, registry.Root.CreateChild("other"), 0);
        Assert.Equal(Shrinker.Empty, lru.ShrinkCount(ref empty));

        Assert.Equal(300, registry.ShrinkSlab(0, tenant, 0)); // the tenant's list only
        Assert.Equal(10, lru.CountOf(0, null));
        Assert.Equal(0, lru.CountOf(0, tenant));
    }

    [Fact]
    public void Offline_GroupWithItems_SplicesIntoParentAndLaterAddsGoThere()
    {
        var (registry, lru, _) = Make(0);
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        MemoryGroup child = tenant.CreateChild("child");
        Entry[] items = Enumerable.Range(0, 5).Select(i => new Entry(i)).ToArray();
        lru.Add(items[0], 0, tenant);
        foreach (Entry e in items[1..])
        {
            lru.Add(e, 0, child);
        }

        child.Offline();

        Assert.Equal(5, lru.CountOf(0, tenant));
        Assert.Equal(0, lru.CountOf(0, child));
        Assert.True(tenant.IsShrinkerBitSet(0, lru.Shrinker.GroupAwareId));
        Assert.Equal([0, 1, 2, 3, 4], Walk(lru, 10, _ => LruWalkResult.Skip, out _, tenant));
        var late = new Entry(9);
        lru.Add(late, 0, child);
        Assert.Equal(6, lru.CountOf(0, tenant));
        Assert.True(lru.Remove(items[2])); // items moved by the splice can still be removed
        Assert.Equal(5, lru.CountOf(0, tenant));
    }

    [Fact]
    public void NotGroupAware_AddsOfAnyGroupShareTheRootList()
    {
        var (registry, lru, _) = Make(0, ShrinkerFlags.None);
        MemoryGroup tenant = registry.Root.CreateChild("tenant");

        lru.Add(new Entry(1), 0, tenant);

        Assert.Equal(1, lru.CountOf(0, null));
        Assert.Equal(1, registry.ShrinkSlab(0, null, 0));
    }

    [Fact]
    public void NodeAware_KeepsOneListPerNode()
    {
        var (registry, lru, _) = Make(0, ShrinkerFlags.NodeAware, nodes: 2);
        lru.Add(new Entry(1), 0);
        lru.Add(new Entry(2), 1);
        lru.Add(new Entry(3), 1);

        Assert.Equal(1, lru.CountOf(0));
        Assert.Equal(2, lru.CountOf(1));
        Assert.Equal(2, registry.ShrinkSlab(1, null, 0));
        Assert.Equal(1, lru.CountOf(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => lru.Add(new Entry(4), 2));
    }

    private static readonly ListLruIsolate<Entry, int> CountAndRotate = static (Entry _, ref int s) => { s++; return LruWalkResult.Rotate; };

    [Fact]
    public void WalkAddRotateRemove_AfterWarmUp_AllocateNothing()
    {
        var (_, lru, _) = Make(1_000);
        var e = new Entry(-1);
        long budget = 10;
        int state = 0;
        lru.Walk(0, null, CountAndRotate, ref state, ref budget);
        lru.Add(e);
        lru.Rotate(e);
        lru.Remove(e);

        long before = GC.GetAllocatedBytesForCurrentThread();
        budget = 500;
        lru.Walk(0, null, CountAndRotate, ref state, ref budget);
        lru.Add(e);
        lru.Rotate(e);
        lru.Remove(e);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(510, state);
    }

    [Fact]
    public async Task AddAndRemove_SameItemRacing_ListStaysConsistent()
    {
        // Regression: Add claims the item before linking it under the lock; a Remove in between used to unlink an
        // item that was not linked, cutting the list (found by the ShrinkableCache stress test).
        var (_, lru, others) = Make(10);
        var item = new Entry(99);
        for (int round = 0; round < 500; round++)
        {
            using var go = new Barrier(2);
            await Threaded.Within(Task.WhenAll(
                Threaded.Start(() => { go.SignalAndWait(Threaded.Timeout); lru.Add(item); }),
                Threaded.Start(() => { go.SignalAndWait(Threaded.Timeout); lru.Remove(item); })));
            List<int> order = Order(lru);
            Assert.Equal(order.Count, lru.Count);
            Assert.Equal(item.IsListed ? 11 : 10, order.Count);
            lru.Remove(item);
        }

        Assert.All(others, e => Assert.True(e.IsListed));
    }

    [Fact]
    public async Task AddRemoveRotateAndWalk_Concurrently_CountsStayExact()
    {
        var (_, lru, _) = Make(0);
        const int PerWorker = 20_000;
        Entry[][] sets = [.. Enumerable.Range(0, 2).Select(w => Enumerable.Range(0, 64).Select(i => new Entry((w * 1000) + i)).ToArray())];
        long walkedRemoved = 0;
        long added = 0, removedByWorkers = 0;
        int done = 0;

        await Threaded.Within(Threaded.RunTogether(3, worker =>
        {
            if (worker == 2)
            {
                while (Volatile.Read(ref done) < 2)
                {
                    long budget = 16;
                    int state = 0;
                    walkedRemoved += lru.Walk(0, null, static (Entry e, ref int _) => e.Key % 3 == 0 ? LruWalkResult.Removed : LruWalkResult.Rotate, ref state, ref budget);
                }

                return;
            }

            var random = new Random(worker);
            Entry[] mine = sets[worker];
            for (int i = 0; i < PerWorker; i++)
            {
                Entry e = mine[random.Next(mine.Length)];
                switch (random.Next(3))
                {
                    case 0: if (lru.Add(e)) { Interlocked.Increment(ref added); } break;
                    case 1: if (lru.Remove(e)) { Interlocked.Increment(ref removedByWorkers); } break;
                    default: lru.Rotate(e); break;
                }
            }

            Interlocked.Increment(ref done);
        }), "concurrent list operations");

        long listed = sets.SelectMany(s => s).Count(e => e.IsListed);
        Assert.Equal(listed, lru.Count);
        Assert.Equal(added - removedByWorkers - walkedRemoved, lru.Count);
        Assert.Equal(listed, Order(lru).Count);
    }
}
