using Microsoft.Extensions.Time.Testing;
using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Telemetry;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// Callbacks that hang. A pass stuck in one shrinker holds only that shrinker's reference: reclaim of the other
/// shrinkers and groups goes on from other threads, the registry's writers (Alloc, Register, Free of another
/// shrinker, groups coming and going) are not held up, and the hung shrinker is reported stuck with how long it has
/// been running (<see cref="ShrinkerStatistics.RunningFor"/>, the <c>CallbackStuck</c> event past
/// <see cref="ShrinkerRegistryOptions.StuckCallbackThreshold"/>). Its own <see cref="Shrinker.Free"/> waits for it, as
/// documented. Every hung callback is released when its test ends.
/// </summary>
public class HangingCallbackTests
{
    [Fact(Timeout = Run.TestMs)]
    public async Task ScanHungInOneGroup_PassesOverOtherGroupsAndTheRootFinishOnOtherThreads()
    {
        using var scene = new Scene();
        MemoryGroup a = scene.Root.CreateChild("a");
        MemoryGroup b = scene.Root.CreateChild("b");
        FaultyShrinker hung = scene.AddInGroup("hung", a);
        FaultyShrinker inB = scene.AddInGroup("in-b", b);
        FaultyShrinker global = scene.Add("global");
        using var hold = new Hold();
        hung.Scan = Faults.HangScan(hold, Faults.First);
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());

        Task stuck = Threaded.Start(() => scene.Registry.ShrinkSlab(0, a, 0));
        hold.WaitEntered("the scan of the pass over group a");

        // Other threads: a pass over b, a root pass, a direct reclaim of b and a charge above b's High all finish.
        Assert.Equal(1000, await Run.Within(() => scene.Registry.ShrinkSlab(0, b, 0), "the pass over b"));
        Assert.Equal(500, await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2), "the root pass"));
        Assert.Equal(500, global.ObjectsTaken);
        var refill = new FaultyShrinker(scene.Registry, Names.Unique("refill"), 1000, b, 10, ShrinkerFlags.GroupAware);
        ReclaimResult direct = await Run.Within(() => reclaimer.Reclaim(2_000, b, TestContext.Current.CancellationToken), "the direct reclaim of b");
        Assert.True(direct.TargetMet);
        b.High = b.Usage;
        Assert.True(await Run.Within(() => b.TryCharge(1_000), "the charge above b's High"));

        Assert.False(stuck.IsCompleted, "the pass over a is still held");
        Assert.Equal(1, hung.Statistics.RunningCallbacks);
        hold.Release();
        await Threaded.Within(stuck, "the released pass");
        Assert.Equal(1000, hung.ObjectsTaken);
        Assert.Equal(0, hung.Statistics.RunningCallbacks);
        Assert.Equal(refill.HeldBytes + 1_000, b.Usage);
        b.Uncharge(1_000);
        refill.Free();
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CallbackHung_WritersOnOtherShrinkersAndGroupsAreNotHeldUp()
    {
        using var scene = new Scene();
        FaultyShrinker hung = scene.Add("hung");
        FaultyShrinker later = scene.Add("later"); // after the hung one: the stuck pass would visit it next
        MemoryGroup doomed = scene.Root.CreateChild("doomed");
        using var hold = new Hold();
        hung.Count = Faults.HangCount(hold, Faults.First);

        Task stuck = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        hold.WaitEntered("the count");

        await Run.Within(later.Free, "Free of another shrinker");
        Shrinker added = await Run.Within(
            () =>
            {
                Shrinker s = scene.Registry.Alloc(Names.Unique("added"));
                s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
                s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
                s.Register();
                return s;
            },
            "Alloc and Register");
        await Run.Within(() => doomed.Offline(), "Offline of a group");
        MemoryGroup created = await Run.Within(() => scene.Root.CreateChild("created"), "CreateChild");
        await Run.Within(() => created.High = 1 << 20, "setting a group's High");
        Assert.Same(created, await Run.Within(() => scene.Registry.FindGroup(created.Id), "FindGroup"));
        await Run.Within(added.Free, "Free of a shrinker registered meanwhile");

        Assert.False(stuck.IsCompleted);
        Assert.Equal(ShrinkerState.Freed, later.Shrinker.State);
        hold.Release();
        await Threaded.Within(stuck, "the released pass");

        // The pass went on past the freed shrinker without calling it.
        Assert.Equal(0, later.CallsAfterFree);
        Assert.Equal(1, scene.Registry.RegisteredCount);
        Assert.Equal(500, hung.ObjectsTaken);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CallbackHung_StatisticsAndStuckEventsSayForHowLong()
    {
        var time = new FakeTimeProvider();
        using var events = new FaultEvents();
        using var scene = new Scene(new ShrinkerRegistryOptions { NodeCount = 1, TimeProvider = time, StuckCallbackThreshold = TimeSpan.FromSeconds(2) });
        FaultyShrinker hung = scene.Add("hung-timed");
        FaultyShrinker idle = scene.Add("idle");
        using var hold = new Hold();
        hung.Scan = Faults.HangScan(hold);

        Task first = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        hold.WaitEntered();
        ShrinkerStatistics before = hung.Statistics;
        Assert.Equal(1, before.RunningCallbacks);
        Assert.Equal(TimeSpan.Zero, before.RunningFor);

        time.Advance(TimeSpan.FromSeconds(3));
        ShrinkerStatistics stats = hung.Statistics;
        Assert.Equal(1, stats.RunningCallbacks);
        Assert.Equal(TimeSpan.FromSeconds(3), stats.RunningFor);
        Assert.Equal(0, idle.Statistics.RunningCallbacks);
        Assert.Null(idle.Statistics.RunningFor);

        // Past the threshold: reported once (by this look or the monitor's own, whichever comes first)...
        ReclaimEventSource.Log.CheckStuckCallbacks();
        var stuck = Assert.Single(events.Of("CallbackStuck", hung.Name));
        Assert.Equal(3_000L, FaultEvents.Field(stuck, "runningForMs"));
        Assert.Equal(1, FaultEvents.Field(stuck, "runningCallbacks"));
        Assert.Equal(hung.Shrinker.DebugId, FaultEvents.Field(stuck, "shrinkerId"));
        ReclaimEventSource.Log.CheckStuckCallbacks();
        Assert.Single(events.Of("CallbackStuck", hung.Name));

        // ... a second pass gets stuck in it too: two calls running, the stretch still measured from the first ...
        Task second = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        Run.Until(() => hold.Held == 2, "the second pass reaching the hung scan");
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, hung.Statistics.RunningCallbacks);
        Assert.Equal(TimeSpan.FromSeconds(6), hung.Statistics.RunningFor);

        // ... and again when the stretch has doubled.
        ReclaimEventSource.Log.CheckStuckCallbacks();
        Assert.Equal([3_000L, 6_000L], events.Of("CallbackStuck", hung.Name).Select(e => (long)FaultEvents.Field(e, "runningForMs")!));
        Assert.Equal(2, FaultEvents.Field(events.Of("CallbackStuck", hung.Name)[1], "runningCallbacks"));
        Assert.Empty(events.Of("CallbackStuck", idle.Name));

        hold.Release();
        await Threaded.Within(Task.WhenAll(first, second), "the released passes");
        ShrinkerStatistics after = hung.Statistics;
        Assert.Equal(0, after.RunningCallbacks);
        Assert.Null(after.RunningFor);
        Assert.Equal(TimeSpan.FromSeconds(6 + 3), after.TimeInCallbacks);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CallbackHung_OnTheRealClock_TheMonitorReportsItStuck()
    {
        using var events = new FaultEvents();
        using var scene = new Scene(new ShrinkerRegistryOptions { NodeCount = 1, StuckCallbackThreshold = TimeSpan.FromMilliseconds(100) });
        FaultyShrinker hung = scene.Add("hung-monitored");
        using var hold = new Hold();
        hung.Count = Faults.HangCount(hold);

        // The pass starts the monitor (a session listens to fault events); it looks once a second.
        Task stuck = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        hold.WaitEntered();
        var reported = events.WaitFor("CallbackStuck", hung.Name, Threaded.Timeout);

        Assert.True((long)FaultEvents.Field(reported, "runningForMs")! >= 100);
        Assert.Equal(1, FaultEvents.Field(reported, "runningCallbacks"));
        Assert.True(hung.Statistics.RunningFor >= TimeSpan.FromMilliseconds(100));
        Assert.True(ReclaimEventSource.Log.IsStuckMonitorRunning);
        hold.Release();
        await Threaded.Within(stuck, "the released pass");
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanHung_ItsOwnFreeWaitsAndACancelledFreeAsyncLeavesItFreeingAndSkipped()
    {
        using var scene = new Scene();
        FaultyShrinker hung = scene.Add("hung-freed");
        FaultyShrinker other = scene.Add("other");
        using var hold = new Hold();
        hung.Scan = Faults.HangScan(hold, Faults.First);

        Task stuck = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        hold.WaitEntered();

        // FreeAsync with a deadline: cancelled while the scan is held; the shrinker stays Freeing, never called again.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hung.Shrinker.FreeAsync(deadline.Token).WaitAsync(Threaded.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(ShrinkerState.Freeing, hung.Shrinker.State);
        int calls = hung.Calls;
        Assert.Equal(500, await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2), "a pass while it is Freeing"));
        Assert.Equal(calls, hung.Calls);

        // Free waits for the held scan (documented: a callback that hangs makes Free wait as long).
        Task free = Threaded.Start(hung.Free);
        Assert.False(await Threaded.CompletesWithin(free, TimeSpan.FromMilliseconds(200)), "Free returned while its shrinker's scan was held");
        hold.Release();
        await Threaded.Within(free, "Free after the release");
        await Threaded.Within(stuck, "the released pass");

        Assert.Equal(ShrinkerState.Freed, hung.Shrinker.State);
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));
        Assert.Equal(0, hung.CallsAfterFree);
        Assert.Equal(1, scene.Registry.RegisteredCount);
        Assert.Equal(0, other.Statistics.RunningCallbacks);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task CountLiesHugeAndScansFreeNothing_TheVisitIsReportedStuckAndEndsWhenTheScanSaysStop()
    {
        // A count far beyond what the holder has and scans that free nothing but claim to have looked: the pass's
        // arithmetic (the kernel's) keeps asking, batch after batch, as long as the count said there was work. It is a
        // callback running without a break, and is reported as one; answering Stop ends it.
        var time = new FakeTimeProvider();
        using var events = new FaultEvents();
        using var scene = new Scene(new ShrinkerRegistryOptions { NodeCount = 1, TimeProvider = time, StuckCallbackThreshold = TimeSpan.FromSeconds(5) });
        FaultyShrinker liar = scene.Add("liar");
        FaultyShrinker after = scene.Add("after", objects: 1_000_000);
        int stop = 0;
        liar.Count = Faults.Answer(long.MaxValue);
        liar.Scan = (FaultyShrinker _, ref ShrinkControl _, int _) => Volatile.Read(ref stop) != 0 ? Shrinker.Stop : 0;

        Task pass = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 12));
        Run.Until(() => liar.ScanCalls > 10_000, "the liar's scans");
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(pass.IsCompleted);
        Assert.Equal(1, liar.Statistics.RunningCallbacks);
        Assert.Equal(TimeSpan.FromSeconds(10), liar.Statistics.RunningFor);
        ReclaimEventSource.Log.CheckStuckCallbacks();
        Assert.Equal(10_000L, FaultEvents.Field(events.WaitFor("CallbackStuck", liar.Name, Threaded.Timeout), "runningForMs"));

        Volatile.Write(ref stop, 1);
        await Threaded.Within(pass, "the pass after the scan said Stop");
        Assert.Equal(400, after.ObjectsTaken); // the shrinker after the liar was still visited: 4 batches of its 488
        Assert.InRange(liar.Shrinker.GetDeferred(0), 0, 2 * (long.MaxValue / 8));
        Assert.Equal(0, liar.Statistics.ContractViolations);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task BackgroundRunHung_DirectReclaimAndChargesOnOtherThreadsStillReclaim()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker hung = scene.Add("hung-background", objects: 1_000_000);
        FaultyShrinker charged = scene.AddInGroup("charged", tenant, objects: 10_000, bytesPerObject: 100);
        using var hold = new Hold();
        string? hungThread = null;
        hung.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                hungThread = Thread.CurrentThread.Name;
                hold.Wait();
            }

            return self.HonestScan(ref control);
        };
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());

        reclaimer.Start();
        hold.WaitEntered("the background run's scan");
        Assert.Equal("Reclaim reclaimer", hungThread);

        ReclaimResult direct = await Run.Within(() => reclaimer.Reclaim(100_000, tenant, TestContext.Current.CancellationToken), "a direct reclaim");
        Assert.True(direct.TargetMet);
        Assert.Equal(charged.HeldBytes, tenant.Usage);
        long takenBefore = charged.ObjectsTaken;
        tenant.High = tenant.Usage;
        Assert.True(await Run.Within(() => tenant.TryCharge(10_000), "a charge above High"));
        Assert.True(charged.ObjectsTaken >= takenBefore + 100, "the charge reclaimed on its own thread");
        Assert.Equal(0, reclaimer.RunCount);

        hold.Release();
        Run.Until(() => reclaimer.RunCount >= 1, "the released run completing");
        await Run.Within(reclaimer.Stop, "Stop");
        Assert.Equal(charged.HeldBytes + 10_000, tenant.Usage);
        tenant.Uncharge(10_000);
    }
}
