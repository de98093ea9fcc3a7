using Reclaim.Caching.Internal;

namespace Reclaim.Caching.Tests;

/// <summary>Admission: which GetOrAdd misses cache their value (CacheAdmission), and the doorkeeper behind it.</summary>
public partial class ShrinkableCacheTests
{
    /// <summary>Misses <paramref name="key"/> through GetOrAdd; returns whether the factory ran and whether the value is cached after.</summary>
    private static (bool Called, bool Cached) Miss(CacheTestKit<int, string> kit, int key)
    {
        bool called = false;
        string value = $"made-{key}";
        string result = kit.Cache.GetOrAdd(key, _ => { called = true; return value; });
        Assert.Same(called ? value : result, result);
        return (called, kit.Cache.TryPeek(key, out string? cached) && ReferenceEquals(cached, result));
    }

    [Fact]
    public void GetOrAdd_Default_NoReclaimYet_CachesEveryMiss()
    {
        using var kit = Kit(o => o.Weigher = static (_, v) => v.Length);

        for (int key = 0; key < 200; key++)
        {
            Assert.Equal((true, true), Miss(kit, key));
        }

        Assert.False(kit.Cache.IsFilteringAdmissions);
        Assert.Equal(200, kit.Cache.Count);
        Assert.Equal(0, kit.Cache.GetStatistics().NotAdmitted);
        kit.AssertConsistent();
    }

    [Fact]
    public void GetOrAdd_Default_AfterReclaimTookEntries_CachesAKeyOnlyAtItsSecondMissAndChargesNothingBefore()
    {
        int weighed = 0;
        using var kit = Kit(o => o.Weigher = (_, v) => { weighed++; return v.Length; });
        Fill(kit.Cache, 100);
        Assert.Equal(10, kit.Scan(10, out _));
        Assert.True(kit.Cache.IsFilteringAdmissions);
        long usage = kit.Group.Usage;
        weighed = 0;

        // First miss: the value is made and returned, but not weighed, charged or cached.
        Assert.Equal((true, false), Miss(kit, 1_000));
        Assert.Equal(0, weighed);
        Assert.Equal(usage, kit.Group.Usage);
        Assert.Equal(90, kit.Cache.Count);
        Assert.Equal(1, kit.Cache.GetStatistics().NotAdmitted);

        // Second miss of the same key: cached and charged; then a hit.
        Assert.Equal((true, true), Miss(kit, 1_000));
        Assert.Equal(1, weighed);
        Assert.Equal(usage + "made-1000".Length, kit.Group.Usage);
        Assert.Equal((false, true), Miss(kit, 1_000));

        ShrinkableCacheStatistics stats = kit.Cache.GetStatistics();
        Assert.Equal((2L, 1L, 1L), (stats.Misses, stats.Hits, stats.NotAdmitted));
        kit.AssertConsistent();
    }

    [Fact]
    public void GetOrAdd_Default_FilterEndsWhenNewEntriesMakeHalfTheCacheWithoutReclaim_AndAnotherReclaimStartsItAgain()
    {
        using var kit = Kit();
        Fill(kit.Cache, 110);
        Assert.Equal(10, kit.Scan(10, out _)); // 100 left: the filter holds until 100 new entries have come in

        // Set always caches, and counts toward the end of the filter.
        for (int key = 1_000; key < 1_099; key++)
        {
            Assert.True(kit.Cache.Set(key, "set"));
            Assert.True(kit.Cache.IsFilteringAdmissions, $"the filter ended after {key - 999} new entries in a cache of {kit.Cache.Count}");
        }

        Assert.True(kit.Cache.Set(1_099, "set"));
        Assert.False(kit.Cache.IsFilteringAdmissions);
        Assert.Equal((true, true), Miss(kit, 5_000));

        // Reclaim again: first misses are turned away again.
        Assert.True(kit.Scan(1, out _) > 0);
        Assert.True(kit.Cache.IsFilteringAdmissions);
        Assert.Equal((true, false), Miss(kit, 5_001));
        Assert.Equal((true, true), Miss(kit, 5_001));
        kit.AssertConsistent();
    }

    [Fact]
    public void GetOrAdd_Default_ReclaimEmptiedTheCache_CachesEveryMissAgain()
    {
        using var kit = Kit();
        Fill(kit.Cache, 50);
        kit.Registry.DropCaches(TestContext.Current.CancellationToken);
        Assert.Equal(0, kit.Cache.Count);

        Assert.False(kit.Cache.IsFilteringAdmissions);
        Assert.Equal((true, true), Miss(kit, 1));
    }

    [Fact]
    public void GetOrAdd_Always_AfterReclaim_CachesEveryMiss()
    {
        using var kit = Kit(o => o.Admission = CacheAdmission.Always);
        Fill(kit.Cache, 100);
        Assert.Equal(50, kit.Scan(50, out _));

        Assert.False(kit.Cache.IsFilteringAdmissions);
        for (int key = 1_000; key < 1_100; key++)
        {
            Assert.Equal((true, true), Miss(kit, key));
        }

        Assert.Equal(0, kit.Cache.GetStatistics().NotAdmitted);
    }

    [Fact]
    public void GetOrAdd_SecondMiss_WithoutReclaim_CachesAKeyOnlyAtItsSecondMiss()
    {
        using var kit = Kit(o => o.Admission = CacheAdmission.SecondMiss);

        Assert.True(kit.Cache.IsFilteringAdmissions);
        for (int key = 0; key < 50; key++)
        {
            Assert.Equal((true, false), Miss(kit, key));
        }

        for (int key = 0; key < 50; key++)
        {
            Assert.Equal((true, true), Miss(kit, key));
        }

        Assert.Equal(50, kit.Cache.Count);
        Assert.Equal(50, kit.Cache.GetStatistics().NotAdmitted);
        Assert.True(kit.Cache.Set(99, "explicit"));
        Assert.True(kit.Cache.TryPeek(99, out _));
    }

    [Fact]
    public async Task GetOrAdd_ConcurrentFirstMissesOfOneKey_EveryCallerGetsAValueAndTheBooksBalance()
    {
        using var kit = Kit(o =>
        {
            o.Admission = CacheAdmission.SecondMiss;
            o.Weigher = static (_, v) => v.Length;
        });
        const int Threads = 4;
        const int Keys = 2_000;
        string?[][] results = new string?[Threads][];
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Threaded.Start(() =>
        {
            results[t] = new string?[Keys];
            for (int key = 0; key < Keys; key++)
            {
                results[t][key] = kit.Cache.GetOrAdd(key, static k => $"v{k}");
            }
        }))).WaitAsync(Threaded.Timeout, TestContext.Current.CancellationToken);

        for (int t = 0; t < Threads; t++)
        {
            for (int key = 0; key < Keys; key++)
            {
                Assert.Equal($"v{key}", results[t][key]);
            }
        }

        // Each key was cached once another thread (or slot race) let it through; what is cached is charged exactly.
        Assert.Equal(kit.Cache.SumOfSizes(), kit.Group.Usage);
        Assert.Equal(Threads * (long)Keys, kit.Cache.GetStatistics().Misses + kit.Cache.GetStatistics().Hits);
        kit.AssertConsistent();
    }

    [Fact]
    public void Doorkeeper_SecondSightingOfAHash_IsSeenUntilAnotherHashTakesItsSlot()
    {
        var doorkeeper = new Doorkeeper(entries: 0);
        Assert.Equal(Doorkeeper.MinSlots, doorkeeper.Length);

        Assert.False(doorkeeper.SeenBefore(42, 0));
        Assert.True(doorkeeper.SeenBefore(42, 0));
        Assert.True(doorkeeper.SeenBefore(42, 0));

        // Find another hash code that lands in 42's slot: it evicts 42, and then 42 is new again.
        int rival = Enumerable.Range(43, 1_000_000).First(h => SameSlot(42, h, doorkeeper.Length));
        Assert.False(doorkeeper.SeenBefore(rival, 0));
        Assert.False(doorkeeper.SeenBefore(42, 0));
        Assert.True(doorkeeper.SeenBefore(42, 0));

        // Hash code 0 is remembered too (0 marks an empty slot inside).
        Assert.False(doorkeeper.SeenBefore(0, 0));
        Assert.True(doorkeeper.SeenBefore(0, 0));
    }

    [Fact]
    public void Doorkeeper_CacheGrows_TableGrowsToASlotPerEntryUpToItsCap()
    {
        var doorkeeper = new Doorkeeper(entries: 10);
        Assert.Equal(Doorkeeper.MinSlots, doorkeeper.Length);

        doorkeeper.SeenBefore(1, entries: 2_048); // not more than twice 1,024 slots: no growth
        Assert.Equal(Doorkeeper.MinSlots, doorkeeper.Length);
        doorkeeper.SeenBefore(1, entries: 3_000); // more than twice: a slot per entry, rounded up to a power of two
        Assert.Equal(4_096, doorkeeper.Length);
        Assert.False(doorkeeper.SeenBefore(7, entries: 3_000)); // the new table starts empty
        Assert.True(doorkeeper.SeenBefore(7, entries: 3_000));
        doorkeeper.SeenBefore(1, entries: 100_000_000);
        Assert.Equal(Doorkeeper.MaxSlots, doorkeeper.Length);
    }

    /// <summary>Whether two hash codes share a slot in a table of <paramref name="length"/> (the doorkeeper's index).</summary>
    private static bool SameSlot(int a, int b, int length)
    {
        int shift = 64 - System.Numerics.BitOperations.Log2((uint)length);
        return ((uint)a * 0x9E3779B97F4A7C15UL) >> shift == ((uint)b * 0x9E3779B97F4A7C15UL) >> shift;
    }
}
