using Reclaim.Groups;
using Reclaim.Internal;
using Reclaim.Tests.Groups;

namespace Reclaim.Tests.Mutation;

/// <summary>
/// The memcg counters at their edges (docs/mutation-testing.md): a charge that lands exactly on Max or on the reclaim
/// line, an uncharge of exactly what is held, limits equal to each other, zero-byte charges, and charges made from a
/// callback of a plain pass. Each pins one comparison or condition of <c>MemoryGroup.Charge.cs</c>.
/// </summary>
public class ChargeMutationTests
{
    private sealed class UnderflowRecorder : ReclaimDiagnostics
    {
        public List<(string Path, long Usage, long Bytes)> Underflows { get; } = [];

        public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes) =>
            Underflows.Add((group.Path, usage, bytes));
    }

    [Fact]
    public void TryCharge_ExactlyUpToMax_IsChargedAndOneByteMoreIsRefused()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Max = 1_000;
        a.Charge(400);

        Assert.True(a.TryCharge(600)); // usage becomes exactly Max: allowed (memory.max is "at most")
        Assert.Equal((1_000, 1_000), (a.Usage, registry.Root.Usage));

        Assert.False(a.TryCharge(1));
        Assert.Equal((1_000, 1_000), (a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void TryCharge_ExactlyUpToAncestorMax_IsChargedOnEveryLevel()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        a.Max = 500;

        Assert.True(b.TryCharge(500));
        Assert.Equal((500, 500, 500), (b.Usage, a.Usage, registry.Root.Usage));

        // Refused at a (the middle level): b, the level already charged, is backed out by exactly the bytes.
        Assert.False(b.TryCharge(7));
        Assert.Equal((500, 500, 500), (b.Usage, a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void TryCharge_RefusedAtTheRoot_BacksOutEveryLowerLevel()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        MemoryGroup c = b.CreateChild("c");
        registry.Root.Max = 100;
        c.Charge(60);

        Assert.False(c.TryCharge(41));

        Assert.Equal((60, 60, 60, 60), (c.Usage, b.Usage, a.Usage, registry.Root.Usage));
        var ex = Assert.Throws<MemoryGroupLimitExceededException>(() => c.Charge(41));
        Assert.Same(registry.Root, ex.Group);
    }

    [Fact]
    public void TryCharge_LandingExactlyOnHigh_DoesNotReclaim_OneByteMoreDoes()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true, BytesPerObject = 1 };
        s.Add(a, 600);
        a.High = 1_000;

        Assert.True(a.TryCharge(400)); // 600 + 400 == High: under the line, no reclaim
        Assert.Equal(0, s.CountCallsFor(a));
        Assert.Equal(600, s.ObjectsIn(a));
        Assert.Equal(1_000, a.Usage);

        Assert.True(a.TryCharge(1)); // 1,001 > High: reclaim first
        Assert.True(s.CountCallsFor(a) > 0, "a charge crossing High did not reclaim");
        Assert.True(s.ObjectsIn(a) < 600);
        Assert.True(a.Usage <= 1_000, $"usage {a.Usage} stayed above High after reclaim");
    }

    [Fact]
    public void TryCharge_WithHighUnlimited_ReclaimLineIsMax_ExactlyMaxDoesNotReclaim()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 100);
        a.Max = 150;

        Assert.Equal(150, a.ReclaimLine);
        Assert.True(a.TryCharge(50));
        Assert.Equal(0, s.CountCallsFor(a));
        Assert.Equal(150, a.Usage);
    }

    [Fact]
    public void ReclaimLine_IsTheLowestOfHighMaxAndPressureLine()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup root = registry.Root;
        Assert.Equal(MemoryGroup.Unlimited, root.ReclaimLine);

        root.Max = 5_000;
        Assert.Equal(5_000, root.ReclaimLine);
        root.High = 4_000;
        Assert.Equal(4_000, root.ReclaimLine);
        root.SetPressureLine(3_000);
        Assert.Equal(3_000, root.ReclaimLine);
        root.SetPressureLine(4_500);
        Assert.Equal(4_000, root.ReclaimLine);
        root.High = MemoryGroup.Unlimited;
        Assert.Equal(4_500, root.ReclaimLine);
        root.SetPressureLine(MemoryGroup.Unlimited);
        Assert.Equal(5_000, root.ReclaimLine);
    }

    [Fact]
    public void SetPressureLine_Negative_IsTakenAsZero()
    {
        var registry = new ShrinkerRegistry();

        registry.Root.SetPressureLine(-10);

        Assert.Equal(0, registry.Root.ReclaimLine);
    }

    [Fact]
    public void TryCharge_AbovePressureLine_ReclaimsOnTheChargingThread()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 1_000);
        registry.Root.SetPressureLine(1_000);

        Assert.True(a.TryCharge(200));

        Assert.True(s.ObjectsIn(a) <= 800, $"{s.ObjectsIn(a)} objects left: the root's pressure line did not reclaim");
        Assert.True(registry.Root.Usage <= 1_000);
    }

    [Fact]
    public void Uncharge_ExactlyWhatIsHeld_ReachesZeroWithoutReporting()
    {
        var registry = new ShrinkerRegistry();
        var diagnostics = new UnderflowRecorder();
        registry.Diagnostics = diagnostics;
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Charge(10);

        a.Uncharge(10);

        Assert.Equal((0, 0), (a.Usage, registry.Root.Usage));
        Assert.Empty(diagnostics.Underflows);
    }

    [Fact]
    public void Uncharge_Part_LeavesTheRestOnEveryLevel()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        b.Charge(100);
        a.Charge(50);

        b.Uncharge(30);

        Assert.Equal((70, 120, 120), (b.Usage, a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void Uncharge_Underflow_OnlyTheLevelThatHeldTooLittleReports()
    {
        var registry = new ShrinkerRegistry();
        var diagnostics = new UnderflowRecorder();
        registry.Diagnostics = diagnostics;
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        a.Charge(100);
        b.Charge(5);

        b.Uncharge(20); // b held 5: clamps at 0 and reports; a and the root held 105: no report

        Assert.Equal((0, 85, 85), (b.Usage, a.Usage, registry.Root.Usage));
        Assert.Equal([("/a/b", 5L, 20L)], diagnostics.Underflows);
    }

    [Fact]
    public void ChargeZero_WhileAboveHigh_NeitherReclaimsNorChanges()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 500);
        a.High = 100; // High is soft and set after the charges: usage 500 is above it

        Assert.True(a.TryCharge(0));
        a.Charge(0);
        a.Uncharge(0);

        Assert.Equal(0, s.CountCallsFor(a));
        Assert.Equal((500, 500), (a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void Limits_HighEqualToMax_AndMaxEqualToHigh_AreAllowed()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Max = 1_000;

        a.High = 1_000;
        Assert.Equal((1_000, 1_000), (a.High, a.Max));

        a.High = 600;
        a.Max = 600;
        Assert.Equal((600, 600), (a.High, a.Max));

        a.High = 0;
        a.Max = 0;
        Assert.Equal((0, 0), (a.High, a.Max));
        Assert.False(a.TryCharge(1));
    }

    [Fact]
    public void Limits_MaxBelowUnlimitedHigh_IsAllowed_HighAboveMaxIsNot()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");

        a.Max = 10; // High is unlimited: no conflict
        Assert.Equal(10, a.Max);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.High = 11);
        Assert.Equal(MemoryGroup.Unlimited, a.High);
        a.Max = MemoryGroup.Unlimited;
        a.High = 11;
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Max = 10);
        Assert.Equal(MemoryGroup.Unlimited, a.Max);
    }

    [Fact]
    public void TryCharge_FromTheCallbackOfAPlainPass_ChargesWithoutNestedReclaim()
    {
        // A pass started by ShrinkSlab (not by a charge) is inside a callback but not inside a ReclaimScope: a charge
        // from its scan that crosses High must still not start a reclaim (which would re-enter this very shrinker).
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        registry.Root.High = 100; // a root reclaim would call every registered shrinker, this one included
        int depth = 0;
        int maxDepth = 0;
        int scans = 0;
        bool charged = false;
        Shrinker s = registry.Alloc("charges-in-scan");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1_000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            depth++;
            maxDepth = Math.Max(maxDepth, depth);
            scans++;
            if (!charged)
            {
                charged = true;
                Assert.True(a.TryCharge(500)); // above the root's High: would reclaim the root if allowed
            }

            depth--;
            return sc.NrToScan;
        };
        s.Register();

        registry.ShrinkSlab(0, null, 0);

        Assert.True(charged);
        Assert.Equal(1, maxDepth);
        Assert.Equal((500, 500), (a.Usage, registry.Root.Usage));
    }

    [Fact]
    public void TryCharge_AboveHighOfTwoLevels_ReclaimsEachLevelsSubtree()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        MemoryGroup sibling = a.CreateChild("sibling");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(b, 1_000);
        s.Add(sibling, 1_000);
        b.High = 2_000; // b is well within its own High
        a.High = 2_000; // a holds 2,000: a charge of 100 to b crosses a's High

        Assert.True(b.TryCharge(100));

        Assert.True(a.Usage <= 2_000, $"a's usage {a.Usage} is above its High");
        Assert.True(s.ObjectsIn(b) + s.ObjectsIn(sibling) < 2_000, "a's subtree was not reclaimed");
    }
}
