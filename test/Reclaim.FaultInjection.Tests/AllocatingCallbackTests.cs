using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// Callbacks that allocate heavily, force full collections (which wake the reclaimer's gen2 source from the finalizer
/// thread), or fail an allocation with the runtime's own <see cref="OutOfMemoryException"/>. The pass path itself
/// allocates nothing and holds no lock while a callback runs, so none of this can deadlock it; an allocation failure
/// is a callback's exception like any other.
/// </summary>
public class AllocatingCallbackTests
{
    [Fact(Timeout = Run.TestMs)]
    public async Task ScanAllocatesHeavily_DirectAndBackgroundReclaimRunTogetherAndChargesBalance()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker allocating = scene.AddInGroup("allocates", tenant, objects: 20_000, bytesPerObject: 10);
        FaultyShrinker plain = scene.AddInGroup("plain", tenant, objects: 20_000, bytesPerObject: 10);
        long allocated = 0;
        allocating.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            // 256 KiB per call, in pieces small and large, kept only for the call: garbage for the collector to chase.
            var kept = new List<byte[]>();
            for (int i = 0; i < 16; i++)
            {
                kept.Add(new byte[i % 4 == 0 ? 64 * 1024 : 4 * 1024]);
            }

            Interlocked.Add(ref allocated, kept.Sum(a => (long)a.Length));
            GC.KeepAlive(kept);
            return self.HonestScan(ref control);
        };
        ReclaimerOptions options = Reclaimers.AlwaysReclaiming();
        options.UseGen2CollectionSignal = true;
        using var reclaimer = new Reclaimer(scene.Registry, options);
        reclaimer.Start();

        ReclaimResult direct = await Run.Within(() => reclaimer.Reclaim(100_000, tenant, TestContext.Current.CancellationToken), "the direct reclaim");
        Run.Until(() => reclaimer.RunCount >= 2, "background runs");
        await Run.Within(reclaimer.Stop, "Stop");

        // The background runs reclaim the same shrinkers meanwhile: the direct one meets its target unless they left it
        // too little, and then it took the rest.
        Assert.True(direct.TargetMet || allocating.Objects + plain.Objects == 0);
        Assert.True(allocated > 0);
        Assert.Equal(allocating.HeldBytes + plain.HeldBytes, tenant.Usage);
        Assert.Equal(tenant.Usage, scene.Root.Usage);
        Assert.Equal(0, allocating.Statistics.CallbackErrors);
        Assert.Equal(allocating.ObjectsTaken, allocating.Statistics.ObjectsFreed);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CountForcesFullCollectionsAndWaitsForFinalizers_TheGen2SourceWakesTheReclaimerAndNothingDeadlocks()
    {
        using var scene = new Scene();
        FaultyShrinker collecting = scene.Add("collects", objects: 1_000_000);
        collecting.Count = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call < 6)
            {
                _ = new byte[1024 * 1024];
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers(); // the gen2 source signals from the finalizer thread
            }

            return self.HonestCount(ref control);
        };
        ReclaimerOptions options = Reclaimers.DirectOnly(); // no sampling: after the first reading only the gen2 source wakes it
        options.MemoryLimitBytes = Reclaimers.TinyLimit;
        options.UseGen2CollectionSignal = true;
        using var reclaimer = new Reclaimer(scene.Registry, options);
        reclaimer.Start();

        await Run.Within(
            () =>
            {
                for (int i = 0; i < 3; i++)
                {
                    scene.Registry.ShrinkSlab(0, null, 8);
                }
            },
            "passes that collect inside their callbacks");
        Run.Until(() => reclaimer.LastRun?.Trigger == "gen2-gc", "a background run woken by a gen2 collection");
        await Run.Within(reclaimer.Stop, "Stop");

        Assert.True(collecting.ObjectsTaken > 0);
        Assert.Equal(0, collecting.Statistics.CallbackErrors);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanFailsARealAllocation_TheRuntimesOutOfMemoryIsCaughtAndTheRestOfThePassRuns()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker greedy = scene.AddInGroup("greedy", tenant, objects: 1_000, bytesPerObject: 10);
        FaultyShrinker after = scene.AddInGroup("after", tenant, objects: 1_000, bytesPerObject: 10);
        greedy.Scan = (FaultyShrinker self, ref ShrinkControl control, int _) =>
        {
            long taken = self.HonestScan(ref control);
            byte[] huge = new byte[Array.MaxLength + 1L]; // beyond what the runtime can allocate: OutOfMemoryException
            return taken + huge.Length;
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(1_000, freed); // all of "after"; the greedy scan's work is not reported, but was given back
        Assert.Equal(100, greedy.ObjectsTaken);
        Assert.IsType<OutOfMemoryException>(Assert.Single(scene.Reports.Failures).Exception);
        Assert.Equal(1, greedy.Statistics.CallbackErrors);
        Assert.Equal(greedy.HeldBytes + after.HeldBytes, tenant.Usage);
    }
}
