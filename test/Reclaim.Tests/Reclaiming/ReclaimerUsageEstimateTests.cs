using Reclaim.Groups;
using Reclaim.Pressure;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// The usage background reclaim decides on: the reading less the charged bytes reclaim freed since the last gen2
/// collection that the reading still counts (see <see cref="Internal.GarbageEstimate"/>). Limit 1000 MB: target 700,
/// start 800, direct 900. A cache charges 400 MB and the rest of the process holds 100 MB when a gen2 collection
/// happens; then a direct reclaim frees some of the cache and a gen0 collection spends the credit for it, while the
/// freed entries, old, stay in the heap.
/// </summary>
public class ReclaimerUsageEstimateTests
{
    private const long ObjectBytes = 1 * Mb;

    [Fact]
    public void Step_OldEntriesReclaimFreed_AreNotCutForAgainAfterAYoungCollection()
    {
        using var scene = new CachedScene(freedMb: 150);

        scene.Rig.Reader.Heap = 850 * Mb; // 150 MB of the freed entries and 200 MB of growth above the 500
        scene.Rig.Reclaimer.Step();

        Assert.Equal(0, scene.Rig.Reclaimer.RunCount);
        Assert.Equal(MemoryPressureLevel.None, scene.Rig.Reclaimer.Level);
        Assert.Equal(400, scene.Pool.TotalCount());
        Assert.Equal(0, scene.Pool.Scanned);
        Assert.False(scene.Rig.Registry.HasFreedWithoutCharge);
    }

    [Fact]
    public void Step_OnceAHolderThatDoesNotChargeWasReclaimedFrom_DecidesOnTheReading()
    {
        using var scene = new CachedScene(freedMb: 150);
        using var uncharged = new ObjectPool(scene.Rig.Registry, "uncharged", ObjectBytes, charged: false);
        uncharged.Add(scene.Rig.Root, 1000);

        scene.Rig.Reclaimer.Reclaim(1, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(uncharged.TotalCount() < 1000);
        Assert.True(scene.Rig.Registry.HasFreedWithoutCharge);

        scene.Rig.Reader.Gen0++; // spends the credit for whatever that reclaim freed
        scene.Rig.Reader.Heap = 850 * Mb; // what the first test decides on as 700
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(850 * Mb - 700 * Mb, run.TargetBytes);
    }

    [Fact]
    public void Step_UnchargedGrowthBeyondWhatReclaimFreed_Counts()
    {
        using var scene = new CachedScene(freedMb: 50);

        scene.Rig.Reader.Heap = 850 * Mb; // 50 MB of the freed entries and 300 MB of growth above the 500
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(800 * Mb - 700 * Mb, run.TargetBytes);
        Assert.Equal(850 * Mb, run.UsageBytes);
        Assert.Equal(MemoryPressureLevel.Moderate, scene.Rig.Reclaimer.Level);
    }

    [Fact]
    public void Step_ReadingAtTheDirectLine_CountsWhole()
    {
        using var scene = new CachedScene(freedMb: 150);

        scene.Rig.Reader.Heap = 920 * Mb;
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(920 * Mb - 700 * Mb, run.TargetBytes);
        Assert.Equal(MemoryPressureLevel.Critical, scene.Rig.Reclaimer.Level);
    }

    [Fact]
    public void Step_SourceSignalsCritical_RunsAsIfUsageStoodAtTheDirectLine()
    {
        using var scene = new CachedScene(freedMb: 150);

        scene.Rig.Reader.Heap = 850 * Mb;
        scene.Rig.Reclaimer.Signal(MemoryPressureLevel.Critical);
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(900 * Mb - 700 * Mb, run.TargetBytes);
        Assert.Equal(MemoryPressureLevel.Critical, run.Level);
        Assert.True(scene.Pool.TotalCount() < 400);
    }

    [Fact]
    public void Step_NothingReclaimed_DecidesOnTheReading()
    {
        using var scene = new CachedScene(freedMb: 0);

        scene.Rig.Reader.Heap = 850 * Mb;
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(150 * Mb, run.TargetBytes);
    }

    [Fact]
    public void Step_AfterTheNextGen2Collection_TheEarlierFreesNoLongerCount()
    {
        using var scene = new CachedScene(freedMb: 150);

        // The gen2 collection frees the entries; then the rest of the process grows by 350 MB.
        scene.Rig.Reader.Gen2++;
        scene.Rig.Reader.Heap = 500 * Mb;
        scene.Rig.Reclaimer.Step();
        scene.Rig.Reader.Heap = 850 * Mb;
        scene.Rig.Reclaimer.Step();

        ReclaimRun run = Assert.NotNull(scene.Rig.Reclaimer.LastRun);
        Assert.Equal(150 * Mb, run.TargetBytes);
    }

    [Fact]
    public void Step_GarbageTakenOffTheDecision_StillLowersThePressureLineOnTheReading()
    {
        using var scene = new CachedScene(freedMb: 150);

        scene.Rig.Reader.Heap = 880 * Mb;
        scene.Rig.Reclaimer.Step();

        // Line (1) on the reading: 400 charged + (900 direct - 880 read) = 420 MB; on the estimate (730) it would be 570.
        Assert.Equal(0, scene.Rig.Reclaimer.RunCount);
        Assert.Equal(420 * Mb, scene.Rig.Root.ReclaimLine);
    }

    /// <summary>
    /// A cache charging 400 MB to the root and older entries charging freedMb to a child group; the rest of the process
    /// holds 100 MB. A gen2 collection, then a direct reclaim of the child frees the older entries exactly, and a gen0
    /// collection spends the credit for them while they stay in the heap.
    /// </summary>
    private sealed class CachedScene : IDisposable
    {
        private readonly Shrinker? _older;

        public CachedScene(long freedMb)
        {
            Pool = new ObjectPool(Rig.Registry, "cache", ObjectBytes);
            Pool.Add(Rig.Root, 400);
            if (freedMb > 0)
            {
                MemoryGroup child = Rig.Root.CreateChild("older");
                Assert.True(child.TryCharge(freedMb * Mb));
                bool held = true;
                _older = Rig.Registry.Alloc("older", ShrinkerFlags.GroupAware);
                _older.CountObjects = (Shrinker s, ref ShrinkControl sc) => held && ReferenceEquals(sc.Group, child) ? 1 : 0;
                _older.ScanObjects = (Shrinker s, ref ShrinkControl sc) =>
                {
                    held = false;
                    child.Uncharge(freedMb * Mb);
                    return 1;
                };
                _older.Register();
                _older.MarkHasObjects(child);
            }

            Rig.Reader.Heap = (500 + freedMb) * Mb;
            Rig.Reclaimer.Step();
            Rig.Reader.Gen2++;
            Rig.Reclaimer.Step();

            if (freedMb > 0)
            {
                ReclaimResult freed = Rig.Reclaimer.Reclaim(freedMb * Mb, Rig.Root.Children[0]);
                Assert.Equal(freedMb * Mb, freed.BytesFreed);
            }

            Rig.Reader.Gen0++;
            Rig.Reclaimer.Step();
            Assert.Equal(0, Rig.Reclaimer.RunCount);
            Assert.Equal(400 * Mb, Rig.Root.Usage);
        }

        public ReclaimerRig Rig { get; } = new();

        public ObjectPool Pool { get; }

        public void Dispose()
        {
            _older?.Free();
            Pool.Dispose();
            Rig.Dispose();
        }
    }
}
