using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache's shrinker: counts, second chance, scan contract, and scans racing disposal.</summary>
public partial class ShrinkableCacheTests
{
    private static void Fill(ShrinkableCache<int, string> cache, int count)
    {
        for (int i = 0; i < count; i++)
        {
            cache.Set(i, $"v{i}");
        }
    }

    [Fact]
    public void CountObjects_PerGroup_EmptyWhenNone()
    {
        using var kit = Kit();
        MemoryGroup other = kit.Registry.Root.CreateChild("other");
        Assert.Equal(Shrinker.Empty, kit.Count());

        Fill(kit.Cache, 10);
        kit.Cache.Set(100, "elsewhere", other);

        Assert.Equal(10, kit.Count());
        Assert.Equal(1, kit.Count(other));
        Assert.Equal(Shrinker.Empty, kit.Count(kit.Registry.Root));
    }

    [Fact]
    public void ShrinkSlab_PartialPassAtPriorityZero_TouchedEntriesSurviveColdOnesGo()
    {
        // Seeks 8 makes a priority-0 pass over 1,000 entries ask for 500 and scan 3 batches of 128: a partial pass.
        using var kit = Kit(o => o.Seeks = 8);
        Fill(kit.Cache, 1_000);
        int[] touched = [.. Enumerable.Range(0, 100).Select(i => i * 10)];
        foreach (int key in touched)
        {
            Assert.True(kit.Cache.TryGetValue(key, out _));
        }

        long freed = kit.Registry.ShrinkSlab(0, kit.Group, 0);

        long scanned = kit.Cache.Shrinker.GetStatistics().ObjectsScanned;
        Assert.InRange(scanned, 128, 999); // partial
        Assert.All(touched, key => Assert.True(kit.Cache.TryPeek(key, out _), $"touched key {key} was reclaimed"));
        int touchedInWalk = touched.Count(k => k < scanned);
        Assert.Equal(scanned - touchedInWalk, freed);
        for (int key = 0; key < 1_000; key++)
        {
            if (key % 10 != 0)
            {
                // The walk went from the cold end (oldest first): exactly the untouched entries it reached are gone.
                Assert.Equal(key >= scanned, kit.Cache.TryPeek(key, out _));
            }
        }

        Assert.Equal(freed, kit.Cache.GetStatistics().EvictedByReclaim);
        Assert.Equal(freed, kit.EvictionsOf(CacheEvictionReason.Reclaimed).Length);
        kit.AssertConsistent();
    }

    [Fact]
    public void Scan_TwoFullSweeps_SecondChanceIsOneChance()
    {
        using var kit = Kit();
        Fill(kit.Cache, 1_000);
        int[] touched = [.. Enumerable.Range(0, 100).Select(i => (i * 10) + 5)];
        foreach (int key in touched)
        {
            kit.Cache.TryGetValue(key, out _);
        }

        // One sweep over every entry: the untouched go, the touched lose their bit and move to the hot end.
        long freed = kit.Scan(1_000, out long scanned);

        Assert.Equal((900, 1_000), (freed, scanned));
        Assert.Equal(touched.Order(), Enumerable.Range(0, 1_000).Where(k => kit.Cache.TryPeek(k, out _)));

        // Re-touch half of them; the next sweep takes the others.
        foreach (int key in touched.Take(50))
        {
            kit.Cache.TryGetValue(key, out _);
        }

        Assert.Equal(50, kit.Scan(100, out _));
        Assert.Equal(touched.Take(50).Order(), Enumerable.Range(0, 1_000).Where(k => kit.Cache.TryPeek(k, out _)));
        kit.AssertConsistent();
    }

    [Fact]
    public void Scan_MoreThanABufferAndMoreThanListed_WalksInChunksAndReportsWhatItLookedAt()
    {
        using var kit = Kit();
        Fill(kit.Cache, 300);

        long freed = kit.Scan(1_000, out long scanned);

        Assert.Equal((300, 300), (freed, scanned));
        Assert.Equal(0, kit.Cache.Count);
        Assert.Equal(0, kit.Scan(10, out long nothing));
        Assert.Equal(0, nothing); // an empty list ends the pass's scan of this shrinker
        kit.AssertConsistent();
    }

    [Fact]
    public void ShrinkSlab_RootPass_LeavesChildGroupEntriesAndDropCachesTakesThem()
    {
        using var kit = Kit();
        Fill(kit.Cache, 50);
        kit.Cache.Set(1_000, "in root", kit.Registry.Root);

        Assert.Equal(1, kit.Registry.ShrinkSlab(0, null, 0));
        Assert.Equal(50, kit.Cache.Count);

        Assert.Equal(50, kit.Registry.DropCaches(TestContext.Current.CancellationToken));
        Assert.Equal(0, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public async Task Scan_WhileAnotherThreadScans_BothFreeEntries()
    {
        // Background reclaim and writers reclaiming for their own charges scan the same cache at once: each must make
        // progress (a scan that answered Stop while another ran left direct reclaim empty-handed under load).
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int held = 0;
        using var kit = Kit(o => o.OnEvicted = (_, _, _) =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                inside.Set();
                release.Wait(Threaded.Timeout, TestContext.Current.CancellationToken);
            }
        });
        Fill(kit.Cache, 10);

        Task first = Threaded.Start(() => kit.Scan(1, out _));
        Assert.True(inside.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "the first scan never reached its callback");

        long second = kit.Scan(5, out _);
        release.Set();
        await Threaded.Within(first, "the first scan");

        Assert.Equal(5, second);
        Assert.Equal(4, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public void Scan_NestedOnTheSameThread_ReturnsStop()
    {
        long nested = 0;
        CacheTestKit<int, string>? self = null;
        using var kit = Kit(o => o.OnEvicted = (_, _, _) =>
        {
            if (nested == 0)
            {
                nested = self!.Scan(5, out _);
            }
        });
        self = kit;
        Fill(kit.Cache, 10);

        long outer = kit.Scan(1, out _);

        Assert.Equal(1, outer);
        Assert.Equal(Shrinker.Stop, nested);
        Assert.Equal(9, kit.Cache.Count);
        kit.AssertConsistent();
    }

    [Fact]
    public async Task Dispose_WhileScanInFlight_WaitsForItThenUnchargesEverything()
    {
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int reports = 0;
        var kit = Kit(o =>
        {
            o.Weigher = (_, v) => v.Length;
            o.OnEvicted = (_, _, r) =>
            {
                Interlocked.Increment(ref reports);
                if (r == CacheEvictionReason.Reclaimed)
                {
                    inside.Set();
                    release.Wait(Threaded.Timeout, TestContext.Current.CancellationToken);
                }
            };
        });
        Fill(kit.Cache, 200);

        Task pass = Threaded.Start(() => kit.Registry.ShrinkSlab(0, kit.Group, 0));
        Assert.True(inside.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "the pass never reached the cache's callback");
        Task dispose = Threaded.Start(kit.Dispose);

        Assert.False(await Threaded.CompletesWithin(dispose, TimeSpan.FromMilliseconds(200)), "Dispose did not wait for the scan in flight");
        release.Set();
        await Threaded.Within(dispose, "Dispose");
        await Threaded.Within(pass, "the pass");

        Assert.Equal(ShrinkerState.Freed, kit.Cache.Shrinker.State);
        Assert.Equal((0, 0L), (kit.Cache.Count, kit.Group.Usage));
        Assert.Equal(0, kit.Registry.Root.Usage);
        Assert.Equal(200, reports); // reclaimed by the pass, or removed by Dispose: each once
    }

    [Fact]
    public void Dispose_FromOnEvictedDuringReclaim_IsRefusedAndTheCacheStaysUsable()
    {
        ShrinkableCache<int, string>? self = null;
        Exception? refused = null;
        using var kit = Kit(o => o.OnEvicted = (_, _, r) =>
        {
            if (r == CacheEvictionReason.Reclaimed && refused is null)
            {
                refused = Record.Exception(self!.Dispose);
            }
        });
        self = kit.Cache;
        Fill(kit.Cache, 10);

        kit.Registry.ShrinkSlab(0, kit.Group, 0);

        Assert.IsType<InvalidOperationException>(refused);
        Assert.True(kit.Cache.Shrinker.IsRegistered);
        Assert.True(kit.Cache.Set(1, "still works"));
        kit.AssertConsistent();
    }

    [Fact]
    public void ScanAndPass_AfterWarmUp_AllocateNothing()
    {
        using var kit = Kit(o => o.OnEvicted = null);
        Fill(kit.Cache, 2_000);
        for (int i = 0; i < 2_000; i += 3)
        {
            kit.Cache.TryGetValue(i, out _);
        }

        kit.Scan(10, out _);
        kit.Registry.ShrinkSlab(0, kit.Group, 6);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long freed = kit.Scan(500, out _);
        freed += kit.Registry.ShrinkSlab(0, kit.Group, 2);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(freed > 0);
        Assert.Equal(0, allocated);
    }
}
