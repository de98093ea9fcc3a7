using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// Callbacks that answer garbage: negative counts and scan results, <see cref="Shrinker.Stop"/> from a count and
/// <see cref="Shrinker.Empty"/> from a scan, more freed than asked, <see cref="ShrinkControl.NrScanned"/> out of all
/// proportion, objects claimed freed that no charge backs, more uncharged than held. The documented outcome: a
/// negative count other than Empty is a contract violation taken as 0, a negative scan result other than Stop one taken
/// as Stop (counted in <see cref="ShrinkerStatistics.ContractViolations"/> and reported); NrScanned of 0 or less ends
/// the shrinker's scan; positive answers are believed as the kernel believes them, within the pass's caps; group bits
/// are cleared only by Empty; and reclaim measures its progress in charged bytes, so claims cannot fake it.
/// </summary>
public class GarbageAnswerTests
{
    [Theory(Timeout = Run.TestMs)]
    [InlineData(Shrinker.Stop)]
    [InlineData(-3L)]
    [InlineData((long)int.MinValue)]
    [InlineData(long.MinValue)]
    public async Task CountNegativeOtherThanEmpty_ViolationReportedTakenAsZeroAndTheOthersReclaimed(long answer)
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("count-garbage");
        FaultyShrinker after = scene.Add("after");
        faulty.Count = Faults.Answer(answer);

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));

        Assert.Equal(500, freed);
        Assert.Equal(500, after.ObjectsTaken);
        Assert.Equal(0, faulty.ScanCalls);
        Assert.Equal(0, faulty.Shrinker.GetDeferred(0));
        Assert.Equal(1, faulty.Statistics.ContractViolations);
        Assert.Equal(0, faulty.Statistics.CallbackErrors);
        Assert.Equal(0, faulty.Statistics.LastCount);
        Report report = Assert.Single(scene.Reports.Violations);
        Assert.Equal(ShrinkerCallbackKind.Count, report.Callback);
        Assert.Equal(answer, report.Value);
        var e = Assert.Single(events.Of("ContractViolated", faulty.Name));
        Assert.Equal("count", FaultEvents.Field(e, "callback"));
        Assert.Equal(answer, FaultEvents.Field(e, "value"));
        Assert.Equal(faulty.Shrinker.DebugId, FaultEvents.Field(e, "shrinkerId"));
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData(Shrinker.Empty, 0)]
    [InlineData(Shrinker.Empty, 3)]
    [InlineData(-5L, 1)]
    [InlineData(long.MinValue, 4)]
    public async Task ScanNegativeOtherThanStop_ViolationTakenAsStopEarlierWorkCountedRestDeferred(long answer, int onCall)
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("scan-garbage");
        FaultyShrinker after = scene.Add("after");
        faulty.Scan = Faults.ScanSometimes(call => call == onCall, Faults.Answer(answer));

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));

        // Asked for 500 in batches of 100: the calls before the garbage freed 100 each, the rest is deferred.
        Assert.Equal((100L * onCall) + 500, freed);
        Assert.Equal(onCall + 1, faulty.ScanCalls);
        Assert.Equal(500 - (100L * onCall), faulty.Shrinker.GetDeferred(0));
        ShrinkerStatistics stats = faulty.Statistics;
        Assert.Equal(1, stats.ContractViolations);
        Assert.Equal(100L * onCall, stats.ObjectsFreed);
        Assert.Equal(100L * onCall, stats.ObjectsScanned);
        Assert.Equal(answer, Assert.Single(scene.Reports.Violations).Value);
        Assert.Equal("scan", FaultEvents.Field(Assert.Single(events.Of("ContractViolated", faulty.Name)), "callback"));
        Assert.Equal(500, after.ObjectsTaken);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanClaimsMoreFreedThanAsked_BelievedNotAViolationAndTheArithmeticGoesByNrScanned()
    {
        using var scene = new Scene();
        FaultyShrinker boaster = scene.Add("boaster");
        boaster.Scan = (FaultyShrinker _, ref ShrinkControl control, int _) => control.NrToScan * 10;

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));

        Assert.Equal(5 * 1000, freed);
        Assert.Equal(5, boaster.ScanCalls);
        ShrinkerStatistics stats = boaster.Statistics;
        Assert.Equal(5000, stats.ObjectsFreed);
        Assert.Equal(500, stats.ObjectsScanned);
        Assert.Equal(0, stats.ContractViolations);
        Assert.Equal(0, boaster.Shrinker.GetDeferred(0));
        Assert.Empty(scene.Reports.All);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData(0L, 1, 0L, 2000L)]
    [InlineData(-5L, 1, 0L, 2000L)]
    [InlineData(long.MinValue, 1, 0L, 2000L)]
    [InlineData(long.MaxValue, 1, long.MaxValue, 0L)]
    [InlineData(1000L, 2, 2000L, 0L)]
    [InlineData(1L, 1901, 1901L, 99L)]
    public async Task NrScannedGarbage_TheLoopEndsAndDeferredStaysWithinItsCap(long nrScanned, int calls, long scanned, long deferred)
    {
        // Priority 0, 1000 objects, batch 100: the pass means to scan 2000. Each call subtracts what it says it scanned.
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("nr-scanned-garbage");
        faulty.Scan = (FaultyShrinker _, ref ShrinkControl control, int _) =>
        {
            control.NrScanned = nrScanned;
            return 0;
        };

        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));

        Assert.Equal(calls, faulty.ScanCalls);
        Assert.Equal(scanned, faulty.Statistics.ObjectsScanned);
        Assert.Equal(deferred, faulty.Shrinker.GetDeferred(0));
        Assert.Equal(0, faulty.Statistics.ContractViolations);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData(Shrinker.Stop, true)]
    [InlineData(-7L, true)]
    [InlineData(0L, true)]
    [InlineData(Shrinker.Empty, false)]
    public async Task GroupPass_OnlyEmptyClearsTheBit_GarbageAndZeroKeepIt(long answer, bool visitedAgain)
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker faulty = scene.AddInGroup("bit", tenant, objects: 50);
        int garbageCalls = answer == Shrinker.Empty ? 2 : 1; // Empty is asked twice in the pass (the recheck after the clear)
        faulty.Count = Faults.CountSometimes(call => call < garbageCalls, Faults.Answer(answer));

        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        int counted = faulty.CountCalls;
        long second = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        // The bit says "may have objects": a pass forgets a shrinker in a group only when it says Empty (twice).
        Assert.Equal(answer == Shrinker.Empty ? 2 : 1, counted);
        Assert.Equal(visitedAgain, faulty.CountCalls > counted);
        Assert.Equal(visitedAgain ? 50 : 0, second);

        // Forgotten, it is found again once it marks the group (as ListLru does when a list gets its first item).
        faulty.Shrinker.MarkHasObjects(tenant);
        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        Assert.Equal(0, faulty.Objects);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(answer is < 0 and not Shrinker.Empty ? 1 : 0, faulty.Statistics.ContractViolations);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task GroupPass_CountSaysEmptyButTheRecheckFindsObjects_TheBitIsSetBackAndTheyAreReclaimed()
    {
        // The Empty answer raced an add: the recheck after clearing the bit sees the objects, and the bit comes back.
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker faulty = scene.AddInGroup("racy-empty", tenant, objects: 50);
        faulty.Count = Faults.CountSometimes(Faults.First, Faults.Answer(Shrinker.Empty));

        long first = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        faulty.Count = null;
        int counted = faulty.CountCalls;
        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(50, first);
        Assert.Equal(2, counted);
        Assert.True(faulty.CountCalls > counted, "the bit was set back");
        Assert.Equal(0, tenant.Usage);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanClaimsFreesItDidNotMake_DirectReclaimCountsOnlyChargedBytes()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker liar = scene.AddInGroup("liar", tenant, objects: 1_000, bytesPerObject: 100);
        FaultyShrinker honest = scene.AddInGroup("honest", tenant, objects: 1_000, bytesPerObject: 100);
        liar.Scan = (FaultyShrinker _, ref ShrinkControl control, int _) => control.NrToScan; // claims, gives nothing back
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());

        ReclaimResult result = await Run.Within(() => reclaimer.Reclaim(50_000, tenant, TestContext.Current.CancellationToken));

        Assert.True(result.TargetMet);
        Assert.Equal(honest.ObjectsTaken * 100, result.BytesFreed);
        Assert.True(result.BytesFreed >= 50_000);
        Assert.Equal(liar.Statistics.ObjectsFreed + honest.Statistics.ObjectsFreed, result.ObjectsFreed);
        Assert.Equal(liar.HeldBytes + honest.HeldBytes, tenant.Usage);
        Assert.Equal(100_000, liar.HeldBytes);

        // With only the liar left, nothing it claims brings the goal nearer: reclaim goes to priority 0 and says unmet.
        honest.Free();
        ReclaimResult alone = await Run.Within(() => reclaimer.Reclaim(10_000, tenant, TestContext.Current.CancellationToken));
        Assert.False(alone.TargetMet);
        Assert.Equal(0, alone.BytesFreed);
        Assert.Equal(0, alone.LowestPriority);
        Assert.True(alone.ObjectsFreed > 0);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanUnchargesMoreThanItHeld_UnderflowReportedAndUsageStopsAtZero()
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild(Names.Unique("tenant"));
        FaultyShrinker faulty = scene.AddInGroup("over-uncharge", tenant, objects: 10, bytesPerObject: 100);
        faulty.Scan = (FaultyShrinker self, ref ShrinkControl control, int _) =>
        {
            long taken = self.HonestScan(ref control);
            self.Group!.Uncharge(5_000); // garbage: more than it ever charged
            return taken;
        };

        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(0, tenant.Usage);
        Assert.Equal(0, scene.Root.Usage);
        Assert.Equal(2, scene.Reports.Underflows.Count); // the group and the root, each stopped at 0
        Assert.Contains(scene.Reports.Underflows, r => ReferenceEquals(r.Group, tenant) && r.Value == 5_000);
        var e = Assert.Single(events.Where("UnchargeUnderflow", "group", tenant.Path));
        Assert.Equal(0L, FaultEvents.Field(e, "usageBytes"));
        Assert.Equal(5_000L, FaultEvents.Field(e, "bytes"));

        // Charges made afterwards are counted from 0 and balance again.
        tenant.Charge(300);
        Assert.Equal(300, tenant.Usage);
        tenant.Uncharge(300);
        Assert.Equal(0, scene.Root.Usage);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData(-9L, -9L)]
    [InlineData(Shrinker.Stop, Shrinker.Empty)]
    public async Task DebugCallsAnsweredWithGarbage_CountedAsInAPass(long countAnswer, long scanAnswer)
    {
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("debug-garbage");
        faulty.Count = Faults.Answer(countAnswer);
        faulty.Scan = Faults.Answer(scanAnswer);

        long count = await Run.Within(() => faulty.Shrinker.DebugCount(0, null));
        long scan = await Run.Within(() => faulty.Shrinker.DebugScan(0, null, 64));

        Assert.Equal(0, count);
        Assert.Equal(Shrinker.Stop, scan);
        Assert.Equal(2, faulty.Statistics.ContractViolations);
        Assert.Equal([ShrinkerCallbackKind.Count, ShrinkerCallbackKind.Scan], scene.Reports.Violations.Select(r => r.Callback!.Value));
        Assert.Equal(0, faulty.Statistics.ObjectsFreed);
    }
}
