using Microsoft.Coyote.Specifications;
using Reclaim.Groups;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The per-group bitmap protocol (<c>set_shrinker_bit</c> / <c>shrink_slab_memcg</c>): a group pass that finds a
/// shrinker Empty clears its bit, fences and counts again, so an object added concurrently is never left behind a clear
/// bit; growing the tables copies unit references only, so no concurrent bit or deferred update is lost; a group going
/// offline and a mark aimed at it leave the mark on the parent.
/// </summary>
public class GroupBitmapProtocolTests
{
    private const uint Iterations = 1_000;

    /// <summary>A group-aware shrinker over one object counter per group, as a list_lru would keep it.</summary>
    private sealed class Objects
    {
        public long InGroup;
    }

    private static Shrinker Register(ShrinkerRegistry registry, Objects objects)
    {
        Shrinker s = registry.Alloc("lru", ShrinkerFlags.GroupAware);
        s.PrivateData = objects;
        s.CountObjects = static (Shrinker self, ref ShrinkControl _) =>
        {
            long n = Volatile.Read(ref ((Objects)self.PrivateData!).InGroup);
            return n > 0 ? n : Shrinker.Empty;
        };
        s.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();
        return s;
    }

    [Fact]
    public void MarkHasObjects_RacingEmptyClearAndRecount_GroupWithObjectsNeverEndsClear()
    {
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup tenant = registry.Root.CreateChild("tenant");
            var objects = new Objects();
            Shrinker s = Register(registry, objects);
            s.MarkHasObjects(tenant); // a stale bit: the pass will find it Empty

            // Priority 12 with one object scans nothing, so the object stays and the bit must stay set.
            Task pass = Task.Run(() => registry.ShrinkSlab(0, tenant, ShrinkerRegistry.DefaultPriority));
            Task add = Task.Run(() =>
            {
                Interlocked.Increment(ref objects.InGroup); // list_add_tail ...
                s.MarkHasObjects(tenant);                   // ... then set_shrinker_bit
            });
            await Tasks.All(pass, add);

            Specification.Assert(
                tenant.IsShrinkerBitSet(0, s.GroupAwareId),
                "The group holds an object but its shrinker bit ended clear: group passes will never reclaim it.");
        }, Iterations);
    }

    [Fact]
    public void MarkHasObjects_RacingLazySummaryClear_UnitStaysReachable()
    {
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup tenant = registry.Root.CreateChild("tenant");
            var objects = new Objects();
            Shrinker s = Register(registry, objects);
            s.MarkHasObjects(tenant);
            registry.ShrinkSlab(0, tenant, 0); // Empty twice: the unit bit is cleared, its summary bit left set (lazy)

            // This pass finds the unit empty and clears the summary bit while the other task adds and marks.
            Task pass = Task.Run(() => registry.ShrinkSlab(0, tenant, ShrinkerRegistry.DefaultPriority));
            Task add = Task.Run(() =>
            {
                Interlocked.Increment(ref objects.InGroup);
                s.MarkHasObjects(tenant);
            });
            await Tasks.All(pass, add);

            Specification.Assert(tenant.IsShrinkerBitSet(0, s.GroupAwareId), "The unit bit of a group with objects ended clear.");
            Specification.Assert(
                (tenant.GetSummaries(0)[0].Bits & 1) != 0,
                "The unit has a bit set but its summary bit ended clear: group passes skip the unit and never reclaim it.");
        }, Iterations);
    }

    [Fact]
    public void TableGrowth_ConcurrentMarkAndDeferredUpdate_LosesNothing()
    {
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup tenant = registry.Root.CreateChild("tenant");
            var first = Register(registry, new Objects());
            for (int i = 1; i < 63; i++)
            {
                registry.Alloc($"filler{i}", ShrinkerFlags.GroupAware);
            }

            // Allocating ids 63 and 64 grows every group's table from one unit to two while the other task updates unit 0.
            Task grow = Task.Run(() =>
            {
                registry.Alloc("id63", ShrinkerFlags.GroupAware);
                registry.Alloc("id64", ShrinkerFlags.GroupAware);
            });
            Task update = Task.Run(() =>
            {
                first.MarkHasObjects(tenant);
                Interlocked.Add(ref tenant.DeferredSlot(0, first.GroupAwareId), 7);
            });
            await Tasks.All(grow, update);

            Specification.Assert(tenant.GetUnits(0).Length == 2, $"The table has {tenant.GetUnits(0).Length} units, expected 2.");
            Specification.Assert(tenant.IsShrinkerBitSet(0, first.GroupAwareId), "A bit set during table growth was lost.");
            Specification.Assert(
                first.GetDeferred(0, tenant) == 7,
                $"Deferred work added during table growth reads {first.GetDeferred(0, tenant)}, expected 7.");
        }, Iterations);
    }

    [Fact]
    public void MarkHasObjects_RacingOffline_MarkLandsOnParent()
    {
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup tenant = registry.Root.CreateChild("tenant");
            MemoryGroup child = tenant.CreateChild("child");
            Shrinker s = Register(registry, new Objects());

            Task offline = Task.Run(child.Offline);
            Task mark = Task.Run(() => s.MarkHasObjects(child));
            await Tasks.All(offline, mark);

            Specification.Assert(
                tenant.IsShrinkerBitSet(0, s.GroupAwareId),
                "A mark aimed at a group going offline was neither moved to its parent nor redirected there.");
        }, Iterations);
    }
}
