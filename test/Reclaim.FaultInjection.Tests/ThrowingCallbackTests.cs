using System.Diagnostics.Tracing;
using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// Callbacks that throw, every time, sometimes, after doing part of their work, with <see cref="OutOfMemoryException"/>,
/// or with an exception that throws again when read. The documented outcome (<see cref="Shrinker"/>'s remarks): the
/// exception is caught and counted in <see cref="ShrinkerStatistics.CallbackErrors"/>, reported (the registry's
/// diagnostics hook, the <c>CallbackFailed</c> event), a count that throws is taken as 0 and a scan that throws as
/// <see cref="Shrinker.Stop"/>, and the pass goes on with the other shrinkers. Nothing escapes to the caller of the pass.
/// </summary>
public class ThrowingCallbackTests
{
    [Fact(Timeout = Run.TestMs)]
    public async Task CountThrowsEveryPass_OthersReclaimedAndEveryFailureCountedAndReported()
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker before = scene.Add("before");
        FaultyShrinker faulty = scene.Add("count-throws");
        FaultyShrinker after = scene.Add("after");
        faulty.Count = Faults.Throw(() => new InvalidOperationException("count broke"));

        long[] freed = await Run.Within(() => new[] { Pass(scene), Pass(scene), Pass(scene) });

        // Every pass reached the shrinker after the faulty one, and what the passes report is what the holders gave.
        Assert.All(freed, f => Assert.True(f > 0));
        Assert.Equal(before.ObjectsTaken + after.ObjectsTaken, freed.Sum());
        Assert.Equal(3, before.Statistics.Passes);
        Assert.Equal(3, after.Statistics.Passes);

        ShrinkerStatistics stats = faulty.Statistics;
        Assert.Equal(3, stats.CallbackErrors);
        Assert.Equal(0, stats.ContractViolations);
        Assert.Equal(3, stats.Passes);
        Assert.Equal(0, faulty.ScanCalls);
        Assert.Equal(0, faulty.Shrinker.GetDeferred(0));
        Assert.Equal(1000, faulty.Objects);

        Assert.Equal(3, scene.Reports.Failures.Count);
        Assert.All(scene.Reports.Failures, r =>
        {
            Assert.Same(faulty.Shrinker, r.Shrinker);
            Assert.Equal(ShrinkerCallbackKind.Count, r.Callback);
            Assert.Equal("count broke", r.Exception!.Message);
        });

        IReadOnlyList<EventWrittenEventArgs> written = events.Of("CallbackFailed", faulty.Name);
        Assert.Equal(3, written.Count);
        Assert.All(written, e =>
        {
            Assert.Equal(EventLevel.Warning, e.Level);
            Assert.Equal(faulty.Shrinker.DebugId, FaultEvents.Field(e, "shrinkerId"));
            Assert.Equal("count", FaultEvents.Field(e, "callback"));
            Assert.Equal(typeof(InvalidOperationException).FullName, FaultEvents.Field(e, "exceptionType"));
            Assert.Equal("count broke", FaultEvents.Field(e, "message"));
        });
        Assert.Empty(events.Of("CallbackFailed", before.Name));
        Assert.Empty(events.Of("CallbackFailed", after.Name));
        Assert.Equal(0, before.Statistics.CallbackErrors + after.Statistics.CallbackErrors);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanThrowsEveryPass_DeferredWorkGrowsToTwiceTheObjectsAndStops()
    {
        using var scene = new Scene();
        FaultyShrinker bottomless = scene.Add("bottomless");
        bottomless.Scan = (FaultyShrinker _, ref ShrinkControl control, int _) => control.NrToScan; // never runs out
        FaultyShrinker faulty = scene.Add("scan-throws");
        faulty.Scan = Faults.Throw(() => new InvalidOperationException("scan broke"));
        var deferred = new List<long>();

        await Run.Within(() =>
        {
            for (int pass = 0; pass < 8; pass++)
            {
                Assert.Equal(500, Pass(scene)); // the other shrinker is reclaimed every pass
                deferred.Add(faulty.Shrinker.GetDeferred(0));
            }
        });

        // Each pass asks the faulty scan once (it fails at once) and puts its share (500) back as deferred work, up to the
        // cap of twice the objects counted, and no further.
        Assert.Equal([500L, 1000, 1500, 2000, 2000, 2000, 2000, 2000], deferred);
        Assert.Equal(8, faulty.ScanCalls);
        Assert.Equal(8, faulty.Statistics.CallbackErrors);
        Assert.Equal(0, faulty.Statistics.ObjectsFreed);
        Assert.Equal(8, scene.Reports.Failures.Count(r => r.Callback == ShrinkerCallbackKind.Scan));
        Assert.Equal(0, bottomless.Statistics.CallbackErrors);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanThrowsSometimes_WorkDoneBeforeIsCountedAndMatchesTheHolder()
    {
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("scan-sometimes", objects: 100_000);
        FaultyShrinker after = scene.Add("after", objects: 100_000);
        int thrown = 0;
        faulty.Scan = Faults.ScanSometimes(
            call => call % 3 == 2,
            (FaultyShrinker _, ref ShrinkControl _, int _) =>
            {
                Interlocked.Increment(ref thrown);
                throw new TimeoutException("sometimes");
            });

        long freed = await Run.Within(() =>
        {
            long sum = 0;
            for (int pass = 0; pass < 10; pass++)
            {
                sum += scene.Registry.ShrinkSlab(0, null, 0);
            }

            return sum;
        });

        // What the statistics and the passes say was freed is exactly what the holders gave back.
        ShrinkerStatistics stats = faulty.Statistics;
        Assert.True(thrown > 0);
        Assert.Equal(thrown, stats.CallbackErrors);
        Assert.Equal(thrown, scene.Reports.Failures.Count);
        Assert.Equal(faulty.ObjectsTaken, stats.ObjectsFreed);
        Assert.Equal(faulty.ObjectsTaken + after.ObjectsTaken, freed);
        Assert.True(faulty.ObjectsTaken > 0, "the scans before each throw took objects");
        Assert.Equal(100_000 - faulty.ObjectsTaken, faulty.Objects);
        Assert.InRange(faulty.Shrinker.GetDeferred(0), 0, 2 * 100_000);
        Assert.Equal(0, after.Statistics.CallbackErrors);
        Assert.Equal(10, after.Statistics.Passes);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData("count")]
    [InlineData("scan")]
    public async Task OutOfMemoryFromACallback_CaughtReportedAndThePassGoesOn(string callback)
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("oom");
        FaultyShrinker after = scene.Add("after");
        FaultyCallback oom = Faults.Throw(() => Faults.OutOfMemory("no room"));
        if (callback == "count")
        {
            faulty.Count = oom;
        }
        else
        {
            faulty.Scan = oom;
        }

        long freed = await Run.Within(() => Pass(scene));

        Assert.Equal(500, freed);
        Assert.Equal(500, after.ObjectsTaken);
        Assert.Equal(1, faulty.Statistics.CallbackErrors);
        Report report = Assert.Single(scene.Reports.Failures);
        Assert.IsType<OutOfMemoryException>(report.Exception);
        EventWrittenEventArgs e = Assert.Single(events.Of("CallbackFailed", faulty.Name));
        Assert.Equal(callback, FaultEvents.Field(e, "callback"));
        Assert.Equal(typeof(OutOfMemoryException).FullName, FaultEvents.Field(e, "exceptionType"));

        // The deferred work is what the arithmetic says: untouched after a count that failed, all 500 after a scan that failed.
        Assert.Equal(callback == "count" ? 0 : 500, faulty.Shrinker.GetDeferred(0));
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ExceptionWhoseMessageThrows_WhileTheEventsListen_NothingEscapesAndTheErrorIsCounted()
    {
        // The event reads the exception's Message, which is user code too.
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("bad-message");
        FaultyShrinker after = scene.Add("after");
        faulty.Count = Faults.Throw(() => new MessageThrowsException());

        long freed = await Run.Within(() => Pass(scene));

        Assert.Equal(500, freed);
        Assert.Equal(500, after.ObjectsTaken);
        Assert.Equal(1, faulty.Statistics.CallbackErrors);
        Assert.IsType<MessageThrowsException>(Assert.Single(scene.Reports.Failures).Exception);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanUnchargesThenThrows_ChargesStayBalancedAndDirectReclaimCountsWhatWasGivenBack()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker faulty = scene.AddInGroup("uncharge-then-throw", tenant, objects: 10_000, bytesPerObject: 10);
        FaultyShrinker healthy = scene.AddInGroup("healthy", tenant, objects: 10_000, bytesPerObject: 10);
        faulty.Scan = Faults.ScanThenThrow(() => new InvalidOperationException("after the work"));
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());
        long before = tenant.Usage;

        ReclaimResult result = await Run.Within(() => reclaimer.Reclaim(50_000, tenant, TestContext.Current.CancellationToken));

        Assert.True(result.TargetMet);
        Assert.Equal(before - tenant.Usage, result.BytesFreed);
        Assert.Equal(faulty.HeldBytes + healthy.HeldBytes, tenant.Usage);
        Assert.Equal(tenant.Usage, scene.Root.Usage);
        Assert.True(faulty.ObjectsTaken > 0, "the faulty scan gave objects back before it threw");
        Assert.Equal(faulty.Statistics.CallbackErrors, faulty.ScanCalls);
        Assert.Equal(0, faulty.Statistics.ObjectsFreed); // a scan that throws reports nothing freed
        Assert.Empty(scene.Reports.Underflows);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ChargeAboveHighWithAThrowingShrinkerInTheGroup_ReclaimsTheOthersAndCharges()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker faulty = scene.AddInGroup("throws-both", tenant, objects: 1_000, bytesPerObject: 10);
        FaultyShrinker healthy = scene.AddInGroup("healthy", tenant, objects: 1_000, bytesPerObject: 10);
        faulty.Count = Faults.CountSometimes(call => call % 2 == 0, Faults.Throw(() => new InvalidOperationException("count")));
        faulty.Scan = Faults.Throw(() => new InvalidOperationException("scan"));
        tenant.High = 20_000;

        bool charged = await Run.Within(() => tenant.TryCharge(5_000), "the charge");

        Assert.True(charged);
        Assert.True(healthy.ObjectsTaken >= 500, "the healthy shrinker gave back what the charge needed");
        Assert.True(tenant.Usage <= tenant.High);
        Assert.Equal(faulty.HeldBytes + healthy.HeldBytes + 5_000, tenant.Usage);
        Assert.True(faulty.Statistics.CallbackErrors > 0);
        Assert.Equal(faulty.Statistics.CallbackErrors, scene.Reports.Failures.Count);
        tenant.Uncharge(5_000);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task IsolateThrowsMidWalk_ErrorCountedAndTheListStaysConsistentAndUsable()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("lru-throws"), bytesPerItem: 100, batch: 10);
        holder.Add(tenant, 100);
        holder.OnItem = (_, index) => index == 2 ? throw new InvalidOperationException("isolate broke") : null;

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        // Two items were taken before the throw; the walk ended there, the pass took it as Stop.
        Assert.Equal(0, freed);
        Assert.Equal(98, holder.Lru.Count);
        Assert.Equal(holder.HeldBytes, tenant.Usage);
        Assert.Equal(1, holder.Shrinker.GetStatistics().CallbackErrors);
        Assert.Equal(1, holder.ScanCalls);

        // The list's lock and walk mark were released: another thread and this one may change it, and later passes walk it.
        await Run.Within(() => holder.Add(tenant, 1), "an add from another thread");
        holder.Add(tenant, 1);
        holder.OnItem = null;
        long later = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        Assert.Equal(100, later);
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(0, scene.Root.Usage);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CountThrowsInAGroupPass_TheGroupBitIsKeptAndTheNextPassReclaims()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker faulty = scene.AddInGroup("count-throws-once", tenant, objects: 50, bytesPerObject: 10);
        faulty.Count = Faults.CountSometimes(Faults.First, Faults.Throw(() => new InvalidOperationException("once")));

        long first = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        long second = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        // A count that throws says nothing about the objects: the bit stays, and the next pass finds them.
        Assert.Equal(0, first);
        Assert.Equal(50, second);
        Assert.Equal(2, faulty.CountCalls);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(1, faulty.Statistics.CallbackErrors);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task BackgroundReclaim_CallbacksThrowEveryTime_TheThreadSurvivesAndTheOthersAreReclaimed()
    {
        using var scene = new Scene();
        FaultyShrinker faulty = scene.Add("background-throws");
        FaultyShrinker healthy = scene.Add("healthy", objects: 1_000_000);
        faulty.Count = Faults.CountSometimes(call => call % 2 == 0, Faults.Throw(() => new InvalidOperationException("count")));
        faulty.Scan = Faults.Throw(() => Faults.OutOfMemory("scan"));
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());

        reclaimer.Start();
        Run.Until(() => reclaimer.RunCount >= 3 && faulty.Statistics.CallbackErrors >= 4, "three background runs through the faulty shrinker");

        Assert.True(reclaimer.IsRunning);
        Assert.True(healthy.ObjectsTaken > 0);
        Assert.Empty(scene.Reports.ReclaimerFailures); // a shrinker's exception is the shrinker's, not the reclaimer's
        await Run.Within(reclaimer.Stop, "Stop");
        Assert.Equal(faulty.Statistics.CallbackErrors, scene.Reports.Failures.Count);
        Assert.Equal(0, healthy.Statistics.CallbackErrors);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanInterruptsTheReclaimersThread_TheThreadSurvivesReportsItAndGoesOn()
    {
        // The interrupt is left pending on the reclaimer's thread and is thrown by its next wait, outside any callback.
        using var scene = new Scene();
        FaultyShrinker interrupting = scene.Add("interrupts", objects: 1_000_000);
        interrupting.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                Thread.CurrentThread.Interrupt();
            }

            return self.HonestScan(ref control);
        };
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());

        reclaimer.Start();
        Run.Until(() => reclaimer.RunCount >= 3, "background runs after the interrupt");
        await Run.Within(reclaimer.Stop, "Stop");

        Assert.IsType<ThreadInterruptedException>(Assert.Single(scene.Reports.ReclaimerFailures).Exception);
        Assert.Equal(0, interrupting.Statistics.CallbackErrors);
    }

    private static long Pass(Scene scene) => scene.Registry.ShrinkSlab(0, null, 2);

    private sealed class MessageThrowsException : Exception
    {
        public override string Message => throw new InvalidOperationException("the message itself throws");
    }
}
