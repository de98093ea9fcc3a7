namespace Reclaim.Tests;

/// <summary>
/// The reclaim path allocates nothing on the managed heap: it runs when memory is shortest. Measured with the
/// thread's allocation counter, which is exact for the calling thread (not a timing measurement).
/// </summary>
public class AllocationTests
{
    private sealed class Pool
    {
        public long Objects;
    }

    private static Shrinker AddPool(ShrinkerRegistry registry, string name, ShrinkerFlags flags, int seeks)
    {
        Shrinker s = registry.Alloc(name, flags);
        s.Seeks = seeks;
        s.PrivateData = new Pool { Objects = 1_000_000 };
        s.CountObjects = static (Shrinker self, ref ShrinkControl _) => ((Pool)self.PrivateData!).Objects;
        s.ScanObjects = static (Shrinker self, ref ShrinkControl sc) =>
        {
            var pool = (Pool)self.PrivateData!;
            long freed = Math.Min(sc.NrToScan, pool.Objects);
            pool.Objects -= freed - 1; // refill almost all, so every pass does real scanning
            return freed;
        };
        s.Register();
        return s;
    }

    [Fact]
    public void ShrinkSlab_AfterWarmUp_AllocatesNothing()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        for (int i = 0; i < 50; i++)
        {
            AddPool(registry, $"pool{i}", i % 2 == 0 ? ShrinkerFlags.None : ShrinkerFlags.NodeAware, i % 4);
        }

        registry.ShrinkSlab(0, null, 0); // warm up: JIT, the thread's callback-scope stack
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int priority = 0; priority <= ShrinkerRegistry.DefaultPriority; priority++)
        {
            registry.ShrinkSlab(priority % 2, null, priority);
            registry.ShrinkSlab(0, registry.Root, priority);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(registry.GetShrinkers()[0].GetStatistics().ObjectsScanned > 0, "the passes did no work");
    }

    [Fact]
    public void ShrinkSlab_WithThrowingCallbacksNotCounted_AllocatesNothingOfItsOwn()
    {
        // A callback that answers outside the contract is reported through the diagnostics hook without allocating.
        var registry = new ShrinkerRegistry();
        Shrinker bad = registry.Alloc("bad");
        bad.CountObjects = static (Shrinker _, ref ShrinkControl _) => -42;
        bad.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        bad.Register();
        AddPool(registry, "good", ShrinkerFlags.None, 2);
        registry.ShrinkSlab(0, null, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        registry.ShrinkSlab(0, null, 3);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2, bad.GetStatistics().ContractViolations);
    }

    [Fact]
    public void DropCaches_AfterWarmUp_AllocatesNothing()
    {
        var registry = new ShrinkerRegistry();
        for (int i = 0; i < 10; i++)
        {
            AddPool(registry, $"pool{i}", ShrinkerFlags.None, 2);
        }

        registry.DropCaches(TestContext.Current.CancellationToken);
        long before = GC.GetAllocatedBytesForCurrentThread();
        registry.DropCaches(TestContext.Current.CancellationToken);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
