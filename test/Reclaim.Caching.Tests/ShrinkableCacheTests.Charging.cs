using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache's charges: every byte charged is uncharged once, High reclaims, Max refuses.</summary>
public partial class ShrinkableCacheTests
{
    private static CacheTestKit<int, string> WeighedKit(Action<ShrinkableCacheOptions<int, string>>? configure = null) =>
        Kit(o =>
        {
            o.Weigher = static (_, v) => v.Length * 100L;
            configure?.Invoke(o);
        });

    private static void AssertBalanced(CacheTestKit<int, string> kit, params MemoryGroup[] groups)
    {
        kit.AssertConsistent();
        long sizes = kit.Cache.SumOfSizes();
        Assert.Equal(sizes, kit.Registry.Root.Usage);
        Assert.Equal(sizes, groups.Sum(g => g.Usage));
    }

    [Fact]
    public void Weigher_EveryWayOut_UsageEqualsLiveSizesAndReturnsToZeroAfterDispose()
    {
        var kit = WeighedKit();
        MemoryGroup other = kit.Registry.Root.CreateChild("other");

        Fill(kit.Cache, 100);                            // 100 x 200..400 bytes
        AssertBalanced(kit, kit.Group, other);
        kit.Cache.Set(5, "a much longer value than before"); // replace
        kit.Cache.Set(6, "x", other);                    // replace into another group
        kit.Cache.TryRemove(7);                          // remove
        kit.Cache.GetOrAdd(500, k => $"new {k}", other); // add elsewhere
        AssertBalanced(kit, kit.Group, other);
        kit.Scan(40, out _);                             // reclaim
        kit.Registry.ShrinkSlab(0, other, 0);
        AssertBalanced(kit, kit.Group, other);
        kit.Cache.Clear();                               // clear
        AssertBalanced(kit, kit.Group, other);
        Fill(kit.Cache, 30);
        AssertBalanced(kit, kit.Group, other);
        Assert.True(kit.Group.Usage > 0);

        kit.Dispose();                                   // dispose

        Assert.Equal((0L, 0L, 0L), (kit.Group.Usage, other.Usage, kit.Registry.Root.Usage));
        Assert.Equal(0, kit.Cache.GetStatistics().Bytes);
    }

    [Fact]
    public void GetOrAdd_LosingTheRaceToAnotherAdder_UnchargesTheLoserAndReturnsTheWinner()
    {
        using var kit = WeighedKit();

        string result = kit.Cache.GetOrAdd(1, k =>
        {
            kit.Cache.Set(k, "winner"); // another adder publishes while our factory runs
            return "the loser's much longer value";
        });

        Assert.Equal("winner", result);
        Assert.Equal(1, kit.Cache.Count);
        Assert.Equal(600, kit.Group.Usage);
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void Set_AboveGroupHigh_ReclaimsTheCacheAndStaysNearHigh()
    {
        using var kit = Kit(o => o.Weigher = static (_, _) => 1_000);
        kit.Group.High = 1_000_000; // room for 1,000 entries; the cache itself has no size limit

        for (int i = 0; i < 5_000; i++)
        {
            Assert.True(kit.Cache.Set(i, "v"));
            Assert.True(kit.Group.Usage <= kit.Group.High, $"usage {kit.Group.Usage} above High after {i + 1} sets");
        }

        ShrinkableCacheStatistics stats = kit.Cache.GetStatistics();
        Assert.InRange(kit.Cache.Count, 500, 1_000);
        Assert.Equal(5_000 - kit.Cache.Count, stats.EvictedByReclaim);
        Assert.Equal(0, stats.Rejected);
        Assert.True(kit.Cache.TryPeek(4_999, out _), "the newest entry was reclaimed");
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void Set_AboveGroupHigh_HotEntriesSurviveTheReclaimItTriggers()
    {
        using var kit = Kit(o => o.Weigher = static (_, _) => 1_000);
        kit.Group.High = 1_000_000;
        int[] hot = [.. Enumerable.Range(0, 50)];
        for (int i = 0; i < 5_000; i++)
        {
            kit.Cache.Set(i < hot.Length ? i : i + 1_000, "v");
            foreach (int key in hot)
            {
                kit.Cache.TryGetValue(key, out _);
            }
        }

        Assert.All(hot, key => Assert.True(kit.Cache.TryPeek(key, out _), $"hot key {key} was reclaimed"));
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void GetOrAdd_ChargeRefusedByMax_ReturnsValueUncachedAndCountsRejected()
    {
        using var kit = WeighedKit();
        kit.Group.Max = 10_000;
        string huge = new('x', 200); // 20,000 bytes: above Max even with the group empty

        string result = kit.Cache.GetOrAdd(1, _ => huge);

        Assert.Same(huge, result);
        Assert.False(kit.Cache.TryPeek(1, out _));
        Assert.Equal((0, 1), (kit.Cache.Count, kit.Cache.GetStatistics().Rejected));
        Assert.Equal(0, kit.Group.Usage);
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void Set_ChargeRefused_ReturnsFalseAndDropsTheOldValueAsReplaced()
    {
        using var kit = WeighedKit();
        MemoryGroup small = kit.Registry.Root.CreateChild("small");
        small.Max = 1_000;
        kit.Cache.Set(1, "old");

        Assert.False(kit.Cache.Set(1, "far too long for the small group", small));

        Assert.False(kit.Cache.TryPeek(1, out _));
        Assert.Equal([(1, "old", CacheEvictionReason.Replaced)], kit.Evictions);
        Assert.Equal(1, kit.Cache.GetStatistics().Rejected);
        AssertBalanced(kit, kit.Group, small);
    }

    [Fact]
    public void Set_AtMaxWithHighUnlimited_ReclaimsInsteadOfRefusing()
    {
        using var kit = Kit(o => o.Weigher = static (_, _) => 1_000);
        kit.Group.Max = 500_000;

        for (int i = 0; i < 2_000; i++)
        {
            Assert.True(kit.Cache.Set(i, "v"), $"set {i} was refused");
        }

        Assert.InRange(kit.Cache.Count, 250, 500);
        Assert.Equal(0, kit.Cache.GetStatistics().Rejected);
        AssertBalanced(kit, kit.Group);
    }

    [Fact]
    public void Offline_EntriesOfADeadGroup_ReclaimedThroughTheParentAndUnchargedThere()
    {
        using var kit = WeighedKit();
        MemoryGroup child = kit.Group.CreateChild("child");
        for (int i = 0; i < 20; i++)
        {
            kit.Cache.Set(i, "value", child);
        }

        Assert.Equal(10_000, kit.Group.Usage);

        child.Offline();
        kit.Cache.TryRemove(0);
        Assert.Equal(9_500, kit.Group.Usage);
        kit.Cache.Set(100, "late", child); // aimed at the dead group: charged and listed in the parent

        Assert.Equal(20, kit.Registry.ShrinkSlab(0, kit.Group, 0));
        Assert.Equal((0, 0L), (kit.Cache.Count, kit.Group.Usage));
        AssertBalanced(kit, kit.Group);
    }
}
