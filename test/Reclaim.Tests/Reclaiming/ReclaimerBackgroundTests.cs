using Reclaim.Pressure;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// Background reclaim decisions on fake readings (limit 1000 MB: target line 700, start 800, direct 900) and a fake
/// clock; each test drives <see cref="Reclaimer.Step"/> as the reclaimer's thread would on a wake-up.
/// </summary>
public class ReclaimerBackgroundTests
{
    private const long ObjectBytes = 64 * 1024; // 16 objects a megabyte

    [Fact]
    public void Step_BelowStartWatermark_DoesNotRun()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 799 * Mb;

        rig.Reclaimer.Step();

        Assert.Equal(0, rig.Reclaimer.RunCount);
        Assert.Equal(0, pool.Scanned);
        Assert.Equal(MemoryPressureLevel.None, rig.Reclaimer.Level);
    }

    [Fact]
    public void Step_AtStartWatermark_FreesDownToTarget()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(rig.Reclaimer.LastRun);
        Assert.Equal(150 * Mb, run.TargetBytes);
        Assert.True(run.Result.TargetMet);
        Assert.InRange(run.Result.BytesFreed, 150 * Mb, 400 * Mb);
        Assert.Equal(run.Result.BytesFreed / ObjectBytes, run.Result.ObjectsFreed);
        Assert.Equal(MemoryPressureLevel.Moderate, run.Level);
        Assert.Equal("sampling", run.Trigger);
        Assert.False(run.InducedCollection);
    }

    [Fact]
    public void Step_SmallExcessOverManyCheapObjects_StopsAtTheGentlestPriority()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, seeks: 0); // seeks 0: half per pass
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 810 * Mb;

        rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(rig.Reclaimer.LastRun);
        Assert.Equal(ShrinkerRegistry.DefaultPriority, run.Result.LowestPriority);
        Assert.True(run.Result.TargetMet);
    }

    [Fact]
    public void Step_PriorityEscalates_OnlyWhileTargetUnmet()
    {
        using var small = new ReclaimerRig();
        using var smallPool = new ObjectPool(small.Registry, "pool", ObjectBytes);
        smallPool.Add(small.Root, 16_000);
        small.Reader.Heap = 805 * Mb; // 105 MB to free

        using var large = new ReclaimerRig();
        using var largePool = new ObjectPool(large.Registry, "pool", ObjectBytes);
        largePool.Add(large.Root, 16_000);
        large.Reader.Heap = 990 * Mb; // 290 MB to free

        small.Reclaimer.Step();
        large.Reclaimer.Step();

        ReclaimResult s = small.Reclaimer.LastRun!.Value.Result;
        ReclaimResult l = large.Reclaimer.LastRun!.Value.Result;
        Assert.True(s.TargetMet && l.TargetMet);
        Assert.InRange(s.LowestPriority, 1, ShrinkerRegistry.DefaultPriority - 1);
        Assert.True(l.LowestPriority < s.LowestPriority, $"a larger target goes harder: {l.LowestPriority} vs {s.LowestPriority}");
        Assert.True(s.BytesFreed < l.BytesFreed);
    }

    [Fact]
    public void Step_TargetUnreachable_StopsAtPriorityOne()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 160); // 10 MB charged: far less than the 150 MB to free
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.False(run.Result.TargetMet);
        Assert.Equal(1, run.Result.LowestPriority);
        Assert.InRange(pool.Count(rig.Root), 0, 80); // priority 1 with seeks 2 asks for about all that is left
    }

    [Fact]
    public void Step_SameReadingAfterChargedRun_DoesNotRunAgainUntilACollection()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();
        long afterFirst = pool.Count(rig.Root);

        // The heap still counts the dropped objects (no collection yet): the credit keeps us from freeing them twice.
        rig.Reclaimer.Step();
        Assert.Equal(1, rig.Reclaimer.RunCount);
        Assert.Equal(afterFirst, pool.Count(rig.Root));

        // A collection happened but the heap is still high (the workload grew back): the credit is spent, run again.
        rig.Reader.Gen2++;
        rig.Reclaimer.Step();
        Assert.Equal(2, rig.Reclaimer.RunCount);
    }

    [Fact]
    public void Step_AfterCollectionBelowStart_DoesNotRun()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();

        rig.Reader.Gen2++;
        rig.Reader.Heap = 690 * Mb;
        rig.Reclaimer.Step();

        Assert.Equal(1, rig.Reclaimer.RunCount);
    }

    [Fact]
    public void Step_UnchargedObjects_FreesTheirShareThenWaitsForACollection()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, charged: false);
        pool.Add(rig.Root, 100_000);
        rig.Reader.Heap = 850 * Mb; // 150 of 850 MB to free: about 17.6 % of the objects

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.Equal(0, run.Result.BytesFreed);
        Assert.InRange(run.Result.ObjectsFreed, 17_600, 40_000); // its share, not everything
        Assert.True(run.Result.LowestPriority > 1);

        // Same reading, no collection: what it freed is not visible yet, so it waits.
        rig.Reclaimer.Step();
        Assert.Equal(1, rig.Reclaimer.RunCount);

        rig.Reader.Gen2++;
        rig.Reclaimer.Step();
        Assert.Equal(2, rig.Reclaimer.RunCount);
    }

    [Fact]
    public void Step_UnchargedAboveDirect_InducesOneCollectionAndMeasures()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, charged: false);
        pool.Add(rig.Root, 100_000);
        rig.Reader.Heap = 950 * Mb;
        rig.Reader.OnCollect = r => r.Heap = 600 * Mb; // the collection shows the garbage was worth 350 MB

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.True(run.InducedCollection);
        Assert.True(run.Result.TargetMet);
        Assert.Equal(1, rig.Reader.Induced);
        Assert.Equal(1, rig.Reclaimer.InducedCollectionCount);
        Assert.Equal(MemoryPressureLevel.Critical, run.Level);
    }

    [Fact]
    public void Step_InducedCollections_AreRateLimited()
    {
        using var rig = new ReclaimerRig(o => o.InducedCollectionInterval = TimeSpan.FromSeconds(2));
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, charged: false);
        pool.Add(rig.Root, 1_000_000);
        rig.Reader.Heap = 950 * Mb; // collections free nothing: usage stays critical

        rig.Reclaimer.Step();
        rig.Reclaimer.Step();
        Assert.Equal(1, rig.Reader.Induced);

        rig.Time.Advance(TimeSpan.FromSeconds(1.9));
        rig.Reclaimer.Step();
        Assert.Equal(1, rig.Reader.Induced);

        rig.Time.Advance(TimeSpan.FromSeconds(0.1));
        rig.Reclaimer.Step();
        Assert.Equal(2, rig.Reader.Induced);
    }

    [Fact]
    public void Step_InduceCollectionsOff_NeverCollects()
    {
        using var rig = new ReclaimerRig(o => o.InduceCollections = false);
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, charged: false);
        pool.Add(rig.Root, 100_000);
        rig.Reader.Heap = 990 * Mb;

        rig.Reclaimer.Step();
        rig.Reclaimer.Step();

        Assert.Equal(0, rig.Reader.Induced);
        Assert.True(rig.Reclaimer.RunCount >= 1);
    }

    [Fact]
    public void Step_ChargedProgressMeetsTarget_DoesNotInduceEvenAboveDirect()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 950 * Mb;

        rig.Reclaimer.Step();

        Assert.True(rig.Reclaimer.LastRun!.Value.Result.TargetMet);
        Assert.Equal(0, rig.Reader.Induced);
    }

    [Fact]
    public void Step_TargetBeyondEveryChargedByte_InducesBeforeEmptyingTheCaches()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 1_600); // 100 MB charged; 250 MB to free: most of the excess is garbage
        rig.Reader.Heap = 950 * Mb;
        rig.Reader.OnCollect = r => r.Heap = 650 * Mb;

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.True(run.InducedCollection);
        Assert.True(run.Result.TargetMet);
        Assert.True(pool.Count(rig.Root) > 1_200, $"the cache kept most of its entries: {pool.Count(rig.Root)}");
    }

    [Fact]
    public void Step_ChargedTargetUnmetAtTheLastPriority_InducesThere()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "costly", ObjectBytes, seeks: 64); // gives back about 1/16 over all priorities
        pool.Add(rig.Root, 16_000); // 1000 MB charged: the 290 MB target is within it, but not reached
        rig.Reader.Heap = 990 * Mb; // less the ~62 MB the run frees, still above the 900 MB direct line

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.True(run.InducedCollection);
        Assert.Equal(1, rig.Reader.Induced);
        Assert.False(run.Result.TargetMet);
        Assert.Equal(1, run.Result.LowestPriority);
    }

    [Fact]
    public void Step_CgroupLimit_DecidesOnCgroupUsage()
    {
        using var rig = new ReclaimerRig();
        rig.Reader.LimitSource = MemoryLimitSource.CgroupV1;
        rig.Reclaimer.RefreshLimit();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 100 * Mb;
        rig.Reader.Cgroup = 850 * Mb;

        rig.Reclaimer.Step();

        Assert.Equal(150 * Mb, rig.Reclaimer.LastRun!.Value.TargetBytes);
        Assert.Equal(850 * Mb, rig.Reclaimer.ReadUsage().Bytes);
    }

    [Fact]
    public void Step_AfterRefreshInterval_FollowsALoweredLimit()
    {
        using var rig = new ReclaimerRig(o => o.LimitRefreshInterval = TimeSpan.FromSeconds(5));
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 500 * Mb;
        rig.Reader.LimitBytes = 600 * Mb; // 500 of 600 MB: above the 480 MB start line

        rig.Reclaimer.Step();
        Assert.Equal(1000 * Mb, rig.Reclaimer.Limit.Bytes);
        Assert.Equal(0, rig.Reclaimer.RunCount);

        rig.Time.Advance(TimeSpan.FromSeconds(5));
        rig.Reclaimer.Step();

        Assert.Equal(new MemoryLimit(600 * Mb, MemoryLimitSource.GCHeapHardLimit), rig.Reclaimer.Limit);
        Assert.Equal(500 * Mb - (long)(0.7 * 600 * Mb), rig.Reclaimer.LastRun!.Value.TargetBytes);
    }

    [Fact]
    public void Step_RootFirst_GroupsWithinTheirBudgetPassedByWhenNotNeeded()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, seeks: 0);
        var budgeted = rig.Root.CreateChild("budgeted");
        budgeted.High = 500 * Mb;
        var open = rig.Root.CreateChild("open");
        pool.Add(budgeted, 3_200); // 200 MB, within its 500 MB
        pool.Add(open, 6_400); // 400 MB, no budget
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        Assert.True(rig.Reclaimer.LastRun!.Value.Result.TargetMet);
        Assert.Equal(3_200, pool.Count(budgeted));
        Assert.True(pool.Count(open) < 6_400);
    }

    [Fact]
    public void Step_UnprotectedNotEnough_ReclaimsGroupsWithinBudgetToo()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        var budgeted = rig.Root.CreateChild("budgeted");
        budgeted.High = 800 * Mb;
        pool.Add(budgeted, 9_600); // 600 MB, within its budget, and nothing anywhere else
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        Assert.True(rig.Reclaimer.LastRun!.Value.Result.TargetMet);
        Assert.True(pool.Count(budgeted) < 9_600);
    }

    [Fact]
    public void Step_WithNoShrinkers_RunsAndReportsTargetUnmet()
    {
        using var rig = new ReclaimerRig();
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.False(run.Result.TargetMet);
        Assert.Equal(0, run.Result.ObjectsFreed);
    }
}
