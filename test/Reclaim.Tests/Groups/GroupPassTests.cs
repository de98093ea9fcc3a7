using Reclaim.Groups;

namespace Reclaim.Tests.Groups;

/// <summary>Group passes (<c>shrink_slab_memcg</c>): the bitmap decides who is visited.</summary>
public class GroupPassTests
{
    [Fact]
    public void ShrinkSlab_Group_VisitsExactlyTheShrinkersWithBitsSet()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var shrinkers = Enumerable.Range(0, 20).Select(i => new PerGroupShrinker(registry, $"s{i}")).ToArray();
        int[] withObjects = [2, 7, 19];
        foreach (int i in withObjects)
        {
            shrinkers[i].Add(tenant, 1_000);
        }

        long freed = registry.ShrinkSlab(0, tenant, 0);

        Assert.Equal(3_000, freed);
        for (int i = 0; i < shrinkers.Length; i++)
        {
            Assert.Equal(withObjects.Contains(i) ? 1 : 0, shrinkers[i].CountCallsFor(tenant));
        }
    }

    [Fact]
    public void ShrinkSlab_Group_SkipsShrinkersThatAreNotGroupAware()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        int plainCalls = 0;
        Shrinker plain = registry.Alloc("plain");
        plain.CountObjects = (Shrinker _, ref ShrinkControl _) => { plainCalls++; return 100; };
        plain.ScanObjects = (Shrinker _, ref ShrinkControl sc) => sc.NrToScan;
        plain.Register();
        plain.MarkHasObjects(tenant); // a no-op for a shrinker that is not group-aware

        registry.ShrinkSlab(0, tenant, 0);
        Assert.Equal(0, plainCalls);

        registry.ShrinkSlab(0, null, 0);
        Assert.Equal(1, plainCalls);
    }

    [Fact]
    public void ShrinkSlab_Root_GroupAwareShrinkerSeesRootGroup()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "s");
        s.Add(registry.Root, 500);
        s.Add(tenant, 700);

        long freed = registry.ShrinkSlab(0, null, 0);

        // The root pass reclaims what is charged to the root itself; the tenant's objects wait for a pass over it.
        Assert.Equal(500, freed);
        Assert.Equal(1, s.CountCallsFor(registry.Root));
        Assert.Equal(0, s.CountCallsFor(tenant));
        Assert.Equal(700, s.ObjectsIn(tenant));
    }

    [Fact]
    public void ShrinkSlab_Group_EmptyClearsBitAfterSecondCount()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "s");
        s.Shrinker.MarkHasObjects(tenant); // the bit says "maybe", but it holds nothing

        registry.ShrinkSlab(0, tenant, 0);

        Assert.Equal(2, s.CountCallsFor(tenant)); // Empty, clear, fence, count again: still Empty
        Assert.False(tenant.IsShrinkerBitSet(0, s.Shrinker.GroupAwareId));

        registry.ShrinkSlab(0, tenant, 0);
        Assert.Equal(2, s.CountCallsFor(tenant)); // no longer visited
    }

    [Fact]
    public void ShrinkSlab_Group_EmptyThenObjectsOnRecount_SetsBitAgain()
    {
        // The race the second count closes: an object arrives between the first count (Empty) and the clear.
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        int counts = 0;
        Shrinker s = registry.Alloc("racy", ShrinkerFlags.GroupAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => ++counts == 1 ? Shrinker.Empty : 5;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();
        s.MarkHasObjects(tenant);

        registry.ShrinkSlab(0, tenant, DefaultPriorityMinus(0));

        Assert.Equal(2, counts);
        Assert.True(tenant.IsShrinkerBitSet(0, s.GroupAwareId));
    }

    [Fact]
    public void ShrinkSlab_OfflineGroup_DoesNothing()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "s");
        s.Add(tenant, 1_000);
        tenant.Offline();

        Assert.Equal(0, registry.ShrinkSlab(0, tenant, 0));
        Assert.Equal(0, s.CountCallsFor(tenant));
    }

    [Fact]
    public void Free_GroupAwareShrinker_BitDroppedLazilyAndIdReusedLowestFirst()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var a = new PerGroupShrinker(registry, "a");
        var b = new PerGroupShrinker(registry, "b");
        var c = new PerGroupShrinker(registry, "c");
        Assert.Equal([0, 1, 2], new[] { a, b, c }.Select(x => x.Shrinker.GroupAwareId));
        b.Add(tenant, 10_000);
        registry.ShrinkSlab(0, tenant, 12); // leaves deferred work for b in the tenant
        Assert.True(b.Shrinker.GetDeferred(0, tenant) > 0);
        int bId = b.Shrinker.GroupAwareId;

        b.Shrinker.Free();
        Assert.True(tenant.IsShrinkerBitSet(0, bId)); // left behind ...
        registry.ShrinkSlab(0, tenant, 12);
        Assert.False(tenant.IsShrinkerBitSet(0, bId)); // ... and cleared by the next pass

        var d = new PerGroupShrinker(registry, "d");
        Assert.Equal(bId, d.Shrinker.GroupAwareId);
        Assert.Equal(0, d.Shrinker.GetDeferred(0, tenant)); // it does not inherit b's deferred work
    }

    [Fact]
    public void ShrinkSlab_Group_AllocatedButNotRegisteredShrinker_KeepsItsBit()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "young", register: false);
        s.Add(tenant, 100);

        registry.ShrinkSlab(0, tenant, 0);
        Assert.True(tenant.IsShrinkerBitSet(0, s.Shrinker.GroupAwareId));
        Assert.Equal(0, s.CountCallsFor(tenant));

        s.Shrinker.Register();
        Assert.Equal(100, registry.ShrinkSlab(0, tenant, 0));
    }

    [Fact]
    public void Offline_MovesDeferredAndBitsToParent_AndLaterMarksLandThere()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        MemoryGroup child = tenant.CreateChild("child");
        var s = new PerGroupShrinker(registry, "s");
        var late = new PerGroupShrinker(registry, "late");
        s.Add(child, 10_000);
        registry.ShrinkSlab(0, child, 12); // (10,000 >> 12) * 4 / 2 = 4 deferred in the child
        Assert.Equal(4, s.Shrinker.GetDeferred(0, child));

        child.Offline();

        Assert.Equal(4, s.Shrinker.GetDeferred(0, tenant));
        Assert.Equal(0, s.Shrinker.GetDeferred(0, child));
        Assert.True(tenant.IsShrinkerBitSet(0, s.Shrinker.GroupAwareId));
        late.Shrinker.MarkHasObjects(child);
        Assert.True(tenant.IsShrinkerBitSet(0, late.Shrinker.GroupAwareId));
    }

    [Fact]
    public void DropCaches_ObjectsInManyGroups_EmptiesEveryOnlineGroup()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        MemoryGroup c = registry.Root.CreateChild("c");
        var s = new PerGroupShrinker(registry, "s");
        var t = new PerGroupShrinker(registry, "t");
        foreach (MemoryGroup g in new[] { registry.Root, a, b, c })
        {
            s.Add(g, 1_000);
            t.Add(g, 50);
        }

        long freed = registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(4 * 1_050, freed);
        Assert.All(new[] { registry.Root, a, b, c }, g => Assert.Equal(0, s.ObjectsIn(g) + t.ObjectsIn(g)));
    }

    [Fact]
    public void TableGrowth_ManyShrinkersAndGroupsBeforeAndAfter_MarksAndPassesReachHighIds()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup early = registry.Root.CreateChild("early");
        var shrinkers = Enumerable.Range(0, 200)
            .Select(i => new PerGroupShrinker(registry, $"s{i}", ShrinkerFlags.NodeAware))
            .ToArray();
        MemoryGroup late = registry.Root.CreateChild("late");
        shrinkers[199].Add(early, 300);
        shrinkers[130].Add(late, 200);

        Assert.Equal(300, registry.ShrinkSlab(0, early, 0));
        Assert.Equal(200, registry.ShrinkSlab(0, late, 0));
        Assert.Equal(4, early.GetUnits(1).Length);
        Assert.Equal(4, late.GetUnits(0).Length);
    }

    [Fact]
    public void DeferredWork_GroupAndNodeAware_IsKeptPerGroupPerNode()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = registry.Root.CreateChild("b");
        long objects = 8_192;
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => objects;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();
        s.MarkHasObjects(a, 1);

        registry.ShrinkSlab(1, a, 12); // (8,192 >> 12) * 4 / 2 = 4

        Assert.Equal(4, s.GetDeferred(1, a));
        Assert.Equal(0, s.GetDeferred(0, a));
        Assert.Equal(0, s.GetDeferred(1, b));
        Assert.Equal(0, s.GetDeferred(1));
        Assert.Equal(4, s.GetStatistics().Deferred);
    }

    private static int DefaultPriorityMinus(int n) => ShrinkerRegistry.DefaultPriority - n;
}
