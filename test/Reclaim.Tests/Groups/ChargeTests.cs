using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Tests.Groups;

/// <summary>The memcg counters: hierarchical usage, High-triggered reclaim, Max refusals.</summary>
public class ChargeTests
{
    private sealed class RecordingDiagnostics : ReclaimDiagnostics
    {
        public List<(string Path, long Usage, long Bytes)> Underflows { get; } = [];

        public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes) =>
            Underflows.Add((group.Path, usage, bytes));
    }

    [Fact]
    public void Charge_Child_AddsToEveryAncestorAndUnchargeReturnsIt()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");

        Assert.True(b.TryCharge(100));
        a.Charge(20);

        Assert.Equal((100, 120, 120), (b.Usage, a.Usage, registry.Root.Usage));
        b.Uncharge(100);
        a.Uncharge(20);
        Assert.Equal((0, 0, 0), (b.Usage, a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void TryCharge_AboveAncestorMax_RefusesAndChangesNothing()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        a.Max = 1_000;
        b.Charge(800);

        Assert.False(b.TryCharge(300));

        Assert.Equal((800, 800, 800), (b.Usage, a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void Charge_AboveMax_ThrowsNamingGroupUsageAndLimit()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("tenant-a");
        a.Max = 1_000;
        a.Charge(900);

        var ex = Assert.Throws<MemoryGroupLimitExceededException>(() => a.Charge(200));

        Assert.Same(a, ex.Group);
        Assert.Equal((900, 1_000, 200), (ex.Usage, ex.Limit, ex.Requested));
        Assert.Contains("'/tenant-a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1,000", ex.Message, StringComparison.Ordinal);
        Assert.Equal(900, a.Usage);
    }

    [Fact]
    public void TryCharge_AboveHigh_ReclaimsThatSubtreeOnlyUntilUnderHigh()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup a1 = a.CreateChild("a1");
        MemoryGroup b = registry.Root.CreateChild("b");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true, BytesPerObject = 10 };
        s.Add(a1, 90_000); // 900,000 bytes in a's subtree
        s.Add(b, 90_000);  // and as much in b
        a.High = 1_000_000;
        a.Max = 1_000_000;

        Assert.True(a.TryCharge(200_000));

        Assert.InRange(a.Usage, 1_000_000 - 200_000, 1_000_000); // reclaimed just enough, then charged
        Assert.True(s.ObjectsIn(a1) < 90_000, "a's subtree was not reclaimed");
        Assert.True(s.ObjectsIn(a1) > 60_000, "reclaim did not stop once the charge fitted under High");
        Assert.Equal(90_000, s.ObjectsIn(b)); // b is not a's subtree
    }

    [Fact]
    public void TryCharge_AboveMaxWithHighUnlimited_ReclaimsThenCharges()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true, BytesPerObject = 100 };
        s.Add(a, 10_000); // 1,000,000 bytes
        a.Max = 1_000_000;

        Assert.True(a.TryCharge(50_000));

        Assert.True(a.Usage <= 1_000_000);
        Assert.True(s.ObjectsIn(a) < 10_000);
    }

    [Fact]
    public void TryCharge_AboveHighWithNothingToReclaim_StillChargesUpToMax()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.High = 100;

        Assert.True(a.TryCharge(500)); // High is soft: reclaim was tried, Max (unlimited) allows it

        Assert.Equal(500, a.Usage);
    }

    [Fact]
    public async Task TryCharge_ShrinkerChargingInsideCallback_DoesNotRecurseOrDeadlock()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.High = 1_000;
        int scans = 0;
        long objects = 1_000;
        Shrinker s = registry.Alloc("charger", ShrinkerFlags.GroupAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => objects > 0 ? objects : Shrinker.Empty;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            scans++;
            // A scan that needs a little memory to free (charging over High would start reclaim if allowed to).
            Assert.True(sc.Group!.TryCharge(5_000));
            sc.Group.Uncharge(5_000);
            long freed = Math.Min(objects, sc.NrToScan);
            objects -= freed;
            sc.Group.Uncharge(freed);
            return freed;
        };
        s.Register();
        a.Charge(1_000);
        s.MarkHasObjects(a);

        var charge = Threaded.Start(() => Assert.True(a.TryCharge(500)));

        await Threaded.Within(charge, "charge-triggered reclaim with a charging shrinker");
        Assert.True(scans > 0);
        Assert.True(a.Usage <= 1_000);
    }

    [Fact]
    public void Charge_OfflineGroup_LandsOnNearestOnlineAncestor()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        b.Charge(100);
        b.Offline();

        b.Charge(50);
        Assert.Equal((100, 150), (b.Usage, a.Usage)); // b's own counter is frozen at its offline value

        b.Uncharge(150);
        Assert.Equal(0, a.Usage);
        Assert.Equal(0, registry.Root.Usage);
    }

    [Fact]
    public void Uncharge_MoreThanCharged_ClampsAtZeroAndReports()
    {
        var registry = new ShrinkerRegistry();
        var diagnostics = new RecordingDiagnostics();
        registry.Diagnostics = diagnostics;
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Charge(10);

        a.Uncharge(25);

        Assert.Equal(0, a.Usage);
        Assert.Equal(0, registry.Root.Usage);
        Assert.Equal([("/a", 10L, 25L), ("/", 10L, 25L)], diagnostics.Underflows);
    }

    [Fact]
    public async Task TryChargeAndUncharge_Concurrent_NeverAboveMaxAndEndsBalanced()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup a1 = a.CreateChild("a1");
        MemoryGroup a2 = a.CreateChild("a2");
        a.Max = 10_000;
        int aboveMax = 0;
        int done = 0;

        await Threaded.Within(Threaded.RunTogether(3, worker =>
        {
            if (worker == 2)
            {
                while (Volatile.Read(ref done) < 2)
                {
                    if (a.Usage > a.Max) { Interlocked.Increment(ref aboveMax); }
                }

                return;
            }

            MemoryGroup g = worker == 0 ? a1 : a2;
            var random = new Random(worker);
            var held = new Stack<long>();
            for (int i = 0; i < 200_000; i++)
            {
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    g.Uncharge(held.Pop());
                }
                else
                {
                    long bytes = random.Next(1, 900);
                    if (g.TryCharge(bytes)) { held.Push(bytes); }
                }
            }

            while (held.Count > 0) { g.Uncharge(held.Pop()); }
            Interlocked.Increment(ref done);
        }), "the charge stress");

        Assert.Equal(0, aboveMax);
        Assert.Equal((0, 0, 0, 0), (a1.Usage, a2.Usage, a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void Charge_NegativeBytes_ThrowsArgumentOutOfRange()
    {
        var registry = new ShrinkerRegistry();

        Assert.Equal("bytes", Assert.Throws<ArgumentOutOfRangeException>(() => registry.Root.TryCharge(-1)).ParamName);
        Assert.Equal("bytes", Assert.Throws<ArgumentOutOfRangeException>(() => registry.Root.Charge(-1)).ParamName);
        Assert.Equal("bytes", Assert.Throws<ArgumentOutOfRangeException>(() => registry.Root.Uncharge(-1)).ParamName);
    }

    [Fact]
    public void Limits_InvalidValues_ThrowWithReason()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Max = 1_000; // fine while High is unlimited

        var high = Assert.Throws<ArgumentOutOfRangeException>(() => a.High = 2_000);
        Assert.Contains("raise Max first", high.Message, StringComparison.Ordinal);
        a.High = 500;
        var max = Assert.Throws<ArgumentOutOfRangeException>(() => a.Max = 400);
        Assert.Contains("lower High first", max.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.High = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Max = -1);
        a.High = MemoryGroup.Unlimited; // unlimited High is always allowed: reclaim then starts at Max
        Assert.Equal((MemoryGroup.Unlimited, 1_000), (a.High, a.Max));
        Assert.Equal(MemoryGroup.Unlimited, registry.Root.Max);
    }
}
