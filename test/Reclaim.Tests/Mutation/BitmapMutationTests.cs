using Reclaim.Groups;
using Reclaim.Tests.Groups;

namespace Reclaim.Tests.Mutation;

/// <summary>
/// The per-group shrinker bitmaps (<c>shrinker_info</c>): unit bits, the summary word over units, tables grown past one
/// summary word (more than 4,096 ids), reparenting on several nodes and units, the lazy clearing of summary bits, and
/// the per-group deferred counters (docs/mutation-testing.md).
/// </summary>
public class BitmapMutationTests
{
    [Fact]
    public void TableGrowth_PastOneSummaryWord_IdsBeyond4096AreMarkedAndVisited()
    {
        const int ids = (64 * 64) + 3; // 65 units: a second summary word
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup early = registry.Root.CreateChild("early");
        var fillers = new List<Shrinker>();
        for (int i = 0; i < ids - 1; i++)
        {
            fillers.Add(registry.Alloc($"filler{i}", ShrinkerFlags.GroupAware));
        }

        var last = new PerGroupShrinker(registry, "last", ShrinkerFlags.NodeAware);
        MemoryGroup late = registry.Root.CreateChild("late");
        int id = last.Shrinker.GroupAwareId;
        Assert.Equal(ids - 1, id);

        Assert.Equal(65, early.GetUnits(1).Length);
        Assert.Equal(65, late.GetUnits(0).Length);
        Assert.Equal(2, early.GetSummaries(1).Length);
        Assert.Equal(2, late.GetSummaries(0).Length);

        // The unit of the id hangs off the second summary word, at the unit's bit in it.
        ShrinkerInfoUnit unit = early.GetUnits(1)[id / 64];
        Assert.Same(early.GetSummaries(1)[1], unit.Summary);
        Assert.Equal((id / 64) % 64, unit.SummaryBit);
        Assert.Same(early.GetSummaries(0)[0], early.GetUnits(0)[63].Summary);
        Assert.Equal(63, early.GetUnits(0)[63].SummaryBit);

        last.Add(early, 300);
        last.Add(late, 200);
        Assert.True(early.IsShrinkerBitSet(0, id));
        Assert.Equal(1UL, early.GetSummaries(0)[1].Bits); // unit 64 is bit 0 of the second word
        Assert.Equal(0UL, early.GetSummaries(0)[0].Bits);

        Assert.Equal(300, registry.ShrinkSlab(0, early, 0));
        Assert.Equal(200, registry.ShrinkSlab(0, late, 0));
        foreach (Shrinker filler in fillers)
        {
            filler.Free();
        }
    }

    [Fact]
    public void GroupPass_EmptyUnit_ClearsItsSummaryBitLazily_AndANewMarkSetsItAgain()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "s");
        s.Add(tenant, 100);
        ShrinkerInfoSummary summary = tenant.GetSummaries(0)[0];
        Assert.Equal(1UL, summary.Bits);

        // Priority 0 scans everything; the second count answers Empty and the unit bit is cleared.
        registry.ShrinkSlab(0, tenant, 0);
        registry.ShrinkSlab(0, tenant, 0);
        Assert.False(tenant.IsShrinkerBitSet(0, s.Shrinker.GroupAwareId));
        Assert.Equal(1UL, summary.Bits); // the summary bit is left for the next pass ...

        registry.ShrinkSlab(0, tenant, 0);
        Assert.Equal(0UL, summary.Bits); // ... which finds the unit empty and clears it
        int calls = s.CountCallsFor(tenant);
        registry.ShrinkSlab(0, tenant, 0);
        Assert.Equal(calls, s.CountCallsFor(tenant)); // nothing marked: the shrinker is not called

        s.Add(tenant, 5);
        Assert.Equal(1UL, summary.Bits);
        Assert.Equal(5, registry.ShrinkSlab(0, tenant, 0));
    }

    [Fact]
    public void GroupPass_ShrinkerWithObjects_KeepsItsBitsSet()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        var s = new PerGroupShrinker(registry, "s");
        s.Add(tenant, 1_000_000);

        registry.ShrinkSlab(0, tenant, 12);
        registry.ShrinkSlab(0, tenant, 12);

        Assert.True(tenant.IsShrinkerBitSet(0, s.Shrinker.GroupAwareId));
        Assert.Equal(1UL, tenant.GetSummaries(0)[0].Bits);
    }

    [Fact]
    public void SetBit_SetsOnlyThatBitAndTheUnitsSummaryBit()
    {
        var summary = new ShrinkerInfoSummary();
        var unit = new ShrinkerInfoUnit(summary, 5);

        unit.SetBit(3);
        unit.SetBit(63);

        Assert.Equal((1UL << 3) | (1UL << 63), unit.Bits);
        Assert.Equal(1UL << 5, summary.Bits);
        Assert.True(unit.IsSet(63));
        Assert.False(unit.IsSet(4));

        unit.ClearBit(3);
        Assert.Equal(1UL << 63, unit.Bits);
        Assert.Equal(1UL << 5, summary.Bits); // left for passes to clear

        summary.Set(5); // already set
        summary.Set(7);
        Assert.Equal((1UL << 5) | (1UL << 7), summary.Bits);
        summary.Clear(5);
        Assert.Equal(1UL << 7, summary.Bits);
    }

    [Fact]
    public void SetBits_NoBits_LeavesTheSummaryAlone()
    {
        var summary = new ShrinkerInfoSummary();
        var unit = new ShrinkerInfoUnit(summary, 2);

        unit.SetBits(0);
        Assert.Equal((0UL, 0UL), (unit.Bits, summary.Bits));

        unit.SetBits(0b1010);
        Assert.Equal((0b1010UL, 1UL << 2), (unit.Bits, summary.Bits));
    }

    [Fact]
    public void Offline_TwoNodesAndTwoUnits_MovesEveryBitAndEveryDeferredCounter()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup parent = registry.Root.CreateChild("parent");
        MemoryGroup child = parent.CreateChild("child");
        var fillers = new List<Shrinker>();
        for (int i = 0; i < 64; i++)
        {
            fillers.Add(registry.Alloc($"filler{i}", ShrinkerFlags.GroupAware));
        }

        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware); // id 64: the second unit
        long objects = 1_000_000;
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => objects;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop; // every pass defers all its work
        s.Register();
        Assert.Equal(64, s.GroupAwareId);
        s.MarkHasObjects(child, 1);
        registry.ShrinkSlab(1, child, 12);
        long deferred = s.GetDeferred(1, child);
        Assert.Equal(488, deferred); // 4 * (1,000,000 >> 12) / 2
        Assert.Equal(0, s.GetDeferred(0, child));

        child.Offline();

        Assert.True(parent.IsShrinkerBitSet(1, 64));
        Assert.False(parent.IsShrinkerBitSet(0, 64));
        Assert.Equal(2UL, parent.GetSummaries(1)[0].Bits); // unit 1
        Assert.Equal(deferred, s.GetDeferred(1, parent));
        Assert.Equal(0, s.GetDeferred(0, parent));
        Assert.Equal(0, s.GetDeferred(1, child)); // offline: its work moved
        Assert.Equal(deferred, s.GetStatistics().Deferred);
        foreach (Shrinker filler in fillers)
        {
            filler.Free();
        }
    }

    [Fact]
    public void Free_GroupAwareShrinkerOnTwoNodes_IdReusedWithoutItsDeferredWorkOnAnyNode()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1_000_000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        s.Register();
        s.MarkHasObjects(tenant, 0);
        s.MarkHasObjects(tenant, 1);
        registry.ShrinkSlab(0, tenant, 12);
        registry.ShrinkSlab(1, tenant, 12);
        Assert.Equal((488L, 488L), (s.GetDeferred(0, tenant), s.GetDeferred(1, tenant)));
        int id = s.GroupAwareId;

        s.Free();
        Assert.Equal(0, s.GetDeferred(1, tenant)); // freed: nothing carried
        Assert.Equal(0, s.GetStatistics().Deferred);
        Shrinker reuse = registry.Alloc("reuse", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);

        Assert.Equal(id, reuse.GroupAwareId);
        Assert.Equal((0L, 0L), (reuse.GetDeferred(0, tenant), reuse.GetDeferred(1, tenant)));
        Assert.Same(reuse, registry.FindGroupAware(id));
    }

    [Fact]
    public void FindGroupAware_IdBeyondEveryChunk_IsNull()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware);

        Assert.Same(s, registry.FindGroupAware(0));
        Assert.Null(registry.FindGroupAware(1));
        Assert.Null(registry.FindGroupAware(64));
        s.Free();
        Assert.Null(registry.FindGroupAware(0));
    }

    [Fact]
    public void MarkHasObjects_NotNodeAware_MarksNode0WhateverTheNode()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware);

        s.MarkHasObjects(tenant, 1);

        Assert.True(tenant.IsShrinkerBitSet(0, s.GroupAwareId));
        Assert.False(tenant.IsShrinkerBitSet(1, s.GroupAwareId));
    }

    [Fact]
    public void MarkHasObjects_NodeAware_MarksThatNodeOnly()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);

        s.MarkHasObjects(tenant, 1);

        Assert.False(tenant.IsShrinkerBitSet(0, s.GroupAwareId));
        Assert.True(tenant.IsShrinkerBitSet(1, s.GroupAwareId));
    }

    [Fact]
    public void MarkHasObjects_RootNotGroupAwareOrFreed_MarksNothing()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker plain = registry.Alloc("plain");
        Shrinker aware = registry.Alloc("aware", ShrinkerFlags.GroupAware);

        aware.MarkHasObjects(registry.Root);
        Assert.Equal(0UL, registry.Root.GetUnits(0)[0].Bits);

        plain.MarkHasObjects(tenant);
        Assert.Equal(0UL, tenant.GetUnits(0)[0].Bits);

        aware.Free();
        aware.MarkHasObjects(tenant);
        Assert.Equal(0UL, tenant.GetUnits(0)[0].Bits);
        Assert.Equal(0UL, tenant.GetSummaries(0)[0].Bits);
    }

    [Fact]
    public void MarkHasObjects_OfflineGroup_MarksItsNearestOnlineAncestorButNotTheRoot()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        MemoryGroup top = registry.Root.CreateChild("top");
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware);
        b.Offline();

        s.MarkHasObjects(b);

        Assert.True(a.IsShrinkerBitSet(0, s.GroupAwareId));
        Assert.False(b.IsShrinkerBitSet(0, s.GroupAwareId));

        top.Offline();
        s.MarkHasObjects(top); // nearest online ancestor is the root: root passes call every shrinker, no bit
        Assert.Equal(0UL, registry.Root.GetUnits(0)[0].Bits);
    }

    [Fact]
    public void GetDeferred_GroupAware_OfflineGroupOrFreedShrinkerIsZero_NotGroupAwareIgnoresTheGroup()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker plain = registry.Alloc("plain");
        plain.CountObjects = (Shrinker _, ref ShrinkControl _) => 1_000_000;
        plain.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        plain.Register();
        registry.ShrinkSlab(0, null, 12);

        Assert.Equal(488, plain.GetDeferred(0));
        Assert.Equal(488, plain.GetDeferred(0, tenant)); // one count for all groups
        Assert.Equal(488, plain.GetStatistics().Deferred);

        tenant.Offline();
        Assert.Equal(488, plain.GetDeferred(0, tenant));
    }

    [Fact]
    public void TotalDeferred_GroupAware_SumsOnlineGroupsAndNodes()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = registry.Root.CreateChild("b");
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1_000_000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        s.Register();
        s.MarkHasObjects(a, 0);
        s.MarkHasObjects(b, 1);
        registry.ShrinkSlab(0, a, 12);
        registry.ShrinkSlab(1, b, 12);
        registry.ShrinkSlab(1, null, 12); // the root group, node 1

        Assert.Equal(3 * 488, s.GetStatistics().Deferred);
        Assert.Equal(488, s.GetDeferred(1));

        b.Offline(); // b's work moves to the root
        Assert.Equal(3 * 488, s.GetStatistics().Deferred);
        Assert.Equal(2 * 488, s.GetDeferred(1));
    }

    [Fact]
    public void FreedShrinker_WhoseIdIsReused_ReportsNoneOfTheNewShrinkersDeferredWork()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker old = registry.Alloc("old", ShrinkerFlags.GroupAware);
        old.Free();
        Shrinker reuse = registry.Alloc("reuse", ShrinkerFlags.GroupAware);
        reuse.CountObjects = (Shrinker _, ref ShrinkControl _) => 1_000_000;
        reuse.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        reuse.Register();
        reuse.MarkHasObjects(tenant);
        registry.ShrinkSlab(0, tenant, 12);
        Assert.Equal(old.GroupAwareId, reuse.GroupAwareId);
        Assert.Equal(488, reuse.GetDeferred(0, tenant));

        Assert.Equal(0, old.GetDeferred(0, tenant));
        Assert.Equal(0, old.GetStatistics().Deferred);
    }

    [Fact]
    public void GroupAndNodeArguments_FromAnotherRegistryOrOutOfRange_Throw()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var other = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        Shrinker s = registry.Alloc("s", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        MemoryGroup foreign = other.Root.CreateChild("foreign");

        Assert.Equal("group", Assert.Throws<ArgumentException>(() => s.MarkHasObjects(foreign)).ParamName);
        Assert.Equal("group", Assert.Throws<ArgumentException>(() => s.GetDeferred(0, foreign)).ParamName);
        Assert.Equal("node", Assert.Throws<ArgumentOutOfRangeException>(() => s.MarkHasObjects(registry.Root, 2)).ParamName);
        Assert.Throws<ArgumentNullException>(() => s.GetDeferred(0, null!));
        Assert.Equal(0UL, foreign.GetUnits(0)[0].Bits);
    }
}
