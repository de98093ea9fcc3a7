using Reclaim.Groups;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>Direct reclaim: <see cref="Reclaimer.Reclaim"/> on the caller's thread.</summary>
public class ReclaimerDirectTests
{
    private const long ObjectBytes = 64 * 1024;

    [Fact]
    public void Reclaim_FreesAtLeastTheBytesAskedFor_FromTheGivenGroupOnly()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        MemoryGroup a = rig.Root.CreateChild("a");
        MemoryGroup b = rig.Root.CreateChild("b");
        pool.Add(a, 1_600);
        pool.Add(b, 1_600);

        ReclaimResult result = rig.Reclaimer.Reclaim(10 * Mb, a, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.True(result.BytesFreed >= 10 * Mb);
        Assert.Equal(100 * Mb - result.BytesFreed, a.Usage);
        Assert.Equal(1_600, pool.Count(b));
        Assert.InRange(result.LowestPriority, 0, ShrinkerRegistry.DefaultPriority);
    }

    [Fact]
    public void Reclaim_MoreThanThereIs_GoesToPriorityZeroAndSaysUnmet()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 160);

        ReclaimResult result = rig.Reclaimer.Reclaim(100 * Mb, null, TestContext.Current.CancellationToken);

        Assert.False(result.TargetMet);
        Assert.Equal(0, result.LowestPriority);
        Assert.Equal(10 * Mb, result.BytesFreed);
        Assert.Equal(0, rig.Root.Usage);
    }

    [Fact]
    public void Reclaim_ZeroBytes_DoesNothing()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 160);

        ReclaimResult result = rig.Reclaimer.Reclaim(0, null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReclaimResult(0, 0, -1, true), result);
        Assert.Equal(0, pool.Scanned);
    }

    [Fact]
    public void Reclaim_NegativeBytes_Throws()
    {
        using var rig = new ReclaimerRig();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => rig.Reclaimer.Reclaim(-1, null, TestContext.Current.CancellationToken));

        Assert.Equal("bytes", ex.ParamName);
    }

    [Fact]
    public void Reclaim_GroupOfAnotherRegistry_Throws()
    {
        using var rig = new ReclaimerRig();
        var other = new ShrinkerRegistry();

        var ex = Assert.Throws<ArgumentException>(() => rig.Reclaimer.Reclaim(1, other.Root, TestContext.Current.CancellationToken));

        Assert.Equal("group", ex.ParamName);
        Assert.Contains("another registry", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reclaim_OfflineGroup_Throws()
    {
        using var rig = new ReclaimerRig();
        MemoryGroup gone = rig.Root.CreateChild("gone");
        gone.Offline();

        var ex = Assert.Throws<ArgumentException>(() => rig.Reclaimer.Reclaim(1, gone, TestContext.Current.CancellationToken));

        Assert.Contains("offline", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reclaim_Cancelled_ThrowsAndStops()
    {
        using var rig = new ReclaimerRig();
        using var cts = new CancellationTokenSource();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 160);
        cts.Cancel();

        Assert.Throws<OperationCanceledException>(() => rig.Reclaimer.Reclaim(Mb, null, cts.Token));
        Assert.Equal(0, pool.Scanned);
    }

    [Fact]
    public void Reclaim_FromInsideACallback_ReturnsAtOnceWithoutNesting()
    {
        using var rig = new ReclaimerRig();
        ReclaimResult inner = default;
        Shrinker s = rig.Registry.Alloc("reentrant");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            inner = rig.Reclaimer.Reclaim(Mb, null, TestContext.Current.CancellationToken);
            return sc.NrToScan;
        };
        s.Register();

        rig.Registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(new ReclaimResult(0, 0, -1, false), inner);
    }

    [Fact]
    public void Reclaim_AfterWarmUp_AllocatesNothing()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, seeks: 0);
        pool.Add(rig.Root, 1_000_000);
        rig.Reclaimer.Reclaim(Mb, null, TestContext.Current.CancellationToken); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        ReclaimResult result = rig.Reclaimer.Reclaim(Mb, null, TestContext.Current.CancellationToken);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result.TargetMet);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Step_BackgroundRunAfterWarmUp_AllocatesNothing()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, seeks: 0);
        pool.Add(rig.Root, 1_000_000);
        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step(); // warm up
        rig.Reader.Gen2++;

        long before = GC.GetAllocatedBytesForCurrentThread();
        rig.Reclaimer.Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2, rig.Reclaimer.RunCount);
        Assert.Equal(0, allocated);
    }
}
