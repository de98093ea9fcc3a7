using Reclaim.Pressure;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// The usage background reclaim decides on when holders charge what they hold: the charged bytes (exact) plus the least
/// uncharged part of the last 10 readings, never more than the reading itself. Limit 1000 MB: target 700, start 800,
/// direct 900.
/// </summary>
public class ReclaimerUsageEstimateTests
{
    private const long ObjectBytes = 1 * Mb;

    [Fact]
    public void Step_GarbageBurstBesideAChargedCache_DecidesOnChargedPlusRecentUncharged_AndDoesNotCut()
    {
        using var scene = new CachedScene();
        (ReclaimerRig rig, ObjectPool pool) = (scene.Rig, scene.Pool);

        rig.Reader.Heap = 850 * Mb; // 250 MB of garbage since the last collection: the reading is above the start line
        rig.Reclaimer.Step();

        Assert.Equal(0, rig.Reclaimer.RunCount);
        Assert.Equal(0, pool.Scanned);
        Assert.Equal(MemoryPressureLevel.None, rig.Reclaimer.Level);
        Assert.Equal(500, pool.TotalCount());
    }

    [Fact]
    public void Step_UnchargedGrowthThatLasts_CountsOnceTenReadingsShowIt()
    {
        using var scene = new CachedScene();
        ReclaimerRig rig = scene.Rig;

        // 350 MB uncharged from now on (a holder that does not charge, say): the 100 MB reading leaves the window after
        // ten more readings, and then usage is the reading, 850.
        rig.Reader.Heap = 850 * Mb;
        for (int i = 0; i < 9; i++)
        {
            rig.Reclaimer.Step();
            Assert.Equal(0, rig.Reclaimer.RunCount);
        }

        rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(rig.Reclaimer.LastRun);
        Assert.Equal(150 * Mb, run.TargetBytes);
        Assert.Equal(850 * Mb, run.UsageBytes);
        Assert.Equal(MemoryPressureLevel.Moderate, rig.Reclaimer.Level);
    }

    [Fact]
    public void Step_SourceSignalsCriticalBesideAChargedCache_RunsAsIfUsageStoodAtTheDirectLine()
    {
        using var scene = new CachedScene();
        ReclaimerRig rig = scene.Rig;

        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);
        rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(rig.Reclaimer.LastRun);
        Assert.Equal(900 * Mb - 700 * Mb, run.TargetBytes);
        Assert.Equal(MemoryPressureLevel.Critical, run.Level);
        Assert.True(scene.Pool.TotalCount() < 500);
    }

    [Fact]
    public void Step_NothingCharged_DecidesOnTheReadingAlone()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "uncharged", ObjectBytes, charged: false);
        pool.Add(rig.Root, 500);
        rig.Reader.Heap = 600 * Mb;
        rig.Reclaimer.Step();

        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(rig.Reclaimer.LastRun);
        Assert.Equal(150 * Mb, run.TargetBytes);
    }

    /// <summary>500 MB charged by a cache, 100 MB of the rest of the process, and one reading of it taken.</summary>
    private sealed class CachedScene : IDisposable
    {
        public CachedScene()
        {
            Pool = new ObjectPool(Rig.Registry, "cache", ObjectBytes);
            Pool.Add(Rig.Root, 500);
            Rig.Reader.Heap = 600 * Mb;
            Rig.Reclaimer.Step();
        }

        public ReclaimerRig Rig { get; } = new();

        public ObjectPool Pool { get; }

        public void Dispose()
        {
            Pool.Dispose();
            Rig.Dispose();
        }
    }
}
