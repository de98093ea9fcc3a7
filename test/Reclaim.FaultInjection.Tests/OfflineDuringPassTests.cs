using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// A memory group taken offline while a pass over it runs: from the group's own count or scan, from inside a
/// <see cref="ListLru{T}"/> walk of its list, or from another thread while its callback is held. The documented outcome
/// (<see cref="MemoryGroup.Offline"/>): the group's lists are spliced into its parent's, its bits and deferred work move
/// there, and charges and uncharges aimed at it land on its nearest online ancestor. So the pass ends, nothing is lost:
/// a pass over the parent reclaims the items, and every group's usage is what its holders still hold.
/// </summary>
public class OfflineDuringPassTests
{
    private const long Bytes = 100;

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanTakesItsOwnGroupOfflineMidPass_TheRestMovesToTheParentAndChargesBalance()
    {
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup tenant = org.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("offlines-in-scan"), Bytes, batch: 10);
        holder.Add(tenant, 100);
        holder.BeforeScan = (group, call) =>
        {
            if (call == 1)
            {
                group.Offline();
                group.Charge(500);   // aimed at the offline group: lands on org
                group.Uncharge(500);
            }
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(10, freed); // the first batch, before the offline; its list was gone for the next ones
        Assert.False(tenant.IsOnline);
        Assert.Equal(90, holder.Lru.Count);
        Assert.Equal(90, holder.Lru.CountOf(0, org));
        Assert.Equal(holder.HeldBytes, org.Usage);
        Assert.Equal(org.Usage, scene.Root.Usage);
        Assert.Equal(0, holder.Shrinker.GetDeferred(0, tenant));

        // The parent's pass finds the items (the bit moved up) and gives their bytes back to where they now count.
        holder.BeforeScan = null;
        int scans = holder.ScanCalls;
        Assert.Equal(0, await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0)));
        Assert.Equal(scans, holder.ScanCalls); // an offline group's pass calls nothing
        Assert.Equal(90, await Run.Within(() => scene.Registry.ShrinkSlab(0, org, 0)));
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, org.Usage);
        Assert.Equal(0, scene.Root.Usage);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CountTakesItsOwnGroupOffline_ThePassEndsAndTheParentReclaimsEverything()
    {
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup tenant = org.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("offlines-in-count"), Bytes);
        holder.Add(tenant, 100);
        holder.BeforeCount = (group, call) =>
        {
            if (call == 0)
            {
                group.Offline();
            }
        };

        Assert.Equal(0, await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0)));
        Assert.Equal(100, await Run.Within(() => scene.Registry.ShrinkSlab(0, org, 0)));

        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, org.Usage);
        Assert.Equal(0, scene.Root.Usage);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task AnotherThreadTakesTheGroupOfflineWhileItsScanIsHeld_OfflineDoesNotWaitAndNothingIsLost()
    {
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup tenant = org.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("held-while-offlined"), Bytes, batch: 10);
        holder.Add(tenant, 100);
        using var hold = new Hold();
        holder.BeforeScan = (_, call) =>
        {
            if (call == 1)
            {
                hold.Wait();
            }
        };

        Task pass = Threaded.Start(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        hold.WaitEntered("the second scan");
        await Run.Within(tenant.Offline, "Offline while the group's scan is held");
        MemoryGroup again = await Run.Within(() => org.CreateChild("tenant"), "a new group of the same name");
        hold.Release();
        await Threaded.Within(pass, "the released pass");

        Assert.Equal(90, holder.Lru.CountOf(0, org));
        Assert.Equal(holder.HeldBytes, org.Usage);
        holder.Add(again, 5);
        Assert.Equal(95, await Run.Within(() => scene.Registry.DropCaches(TestContext.Current.CancellationToken)));
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, scene.Root.Usage);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task AncestorSubtreeGoesOfflineDuringAPassOverADescendant_ItemsReachTheRootAndARootPassTakesThem()
    {
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup team = org.CreateChild("team");
        MemoryGroup tenant = team.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("subtree-offlined"), Bytes, batch: 10);
        holder.Add(tenant, 50);
        holder.Add(team, 50);
        using var hold = new Hold();
        holder.BeforeScan = (_, call) =>
        {
            if (call == 0)
            {
                hold.Wait();
            }
        };

        Task pass = Threaded.Start(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        hold.WaitEntered();
        await Run.Within(org.Offline, "Offline of the subtree");
        hold.Release();
        await Threaded.Within(pass, "the released pass");

        Assert.False(tenant.IsOnline || team.IsOnline || org.IsOnline);
        Assert.Equal(holder.Lru.Count, holder.Lru.CountOf(0, scene.Root));
        Assert.Equal(holder.HeldBytes, scene.Root.Usage);
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, scene.Root.Usage);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task DirectReclaimOfAParentWhileACallbackTakesAChildOffline_EndsAndCountsWhatWasGivenBack()
    {
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup tenant = org.CreateChild("tenant");
        MemoryGroup sibling = org.CreateChild("sibling");
        using var holder = new LruHolder(scene.Registry, Names.Unique("reclaimed"), Bytes, batch: 10);
        holder.Add(tenant, 200);
        holder.Add(sibling, 200);
        holder.BeforeScan = (group, _) =>
        {
            if (ReferenceEquals(group, tenant) && tenant.IsOnline)
            {
                tenant.Offline();
            }
        };
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());
        long before = org.Usage;

        ReclaimResult result = await Run.Within(() => reclaimer.Reclaim(30_000, org, TestContext.Current.CancellationToken));

        Assert.True(result.TargetMet);
        Assert.Equal(before - org.Usage, result.BytesFreed);
        Assert.False(tenant.IsOnline);
        Assert.Equal(holder.HeldBytes, org.Usage);
        Assert.Equal(org.Usage, scene.Root.Usage);
        Assert.Equal(sibling.Usage, holder.Lru.CountOf(0, sibling) * Bytes);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task IsolateTakesTheWalkedGroupOffline_RefusedInsteadOfCorruptingTheWalk()
    {
        // The walk holds the list's lock; Offline would splice that very list into the parent's under the walk's feet
        // (the monitor is re-entrant on this thread). Like an Add or Remove of the walked list, it must be refused.
        using var scene = new Scene();
        MemoryGroup org = scene.Root.CreateChild("org");
        MemoryGroup tenant = org.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("offlines-in-isolate"), Bytes, batch: 10);
        holder.Add(tenant, 20);
        Exception? refused = null;
        holder.OnItem = (item, index) =>
        {
            if (index == 1)
            {
                refused = Record.Exception(item.Group.Offline);
            }

            return null;
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.IsType<InvalidOperationException>(refused);
        Assert.True(tenant.IsOnline);
        Assert.Equal(20, freed);
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(0, scene.Root.Usage);

        // Outside the walk it goes offline as usual.
        holder.OnItem = null;
        holder.Add(tenant, 5);
        await Run.Within(tenant.Offline);
        Assert.Equal(5, holder.Lru.CountOf(0, org));
        Assert.Equal(500, org.Usage);
    }
}
