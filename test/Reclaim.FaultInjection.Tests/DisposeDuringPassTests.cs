using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Pressure;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// The reclaimer stopped or disposed, or every shrinker of a registry freed (a registry has no Dispose: freeing its
/// shrinkers is how its owner ends it), while a pass is inside a callback: a background run's, a direct
/// <see cref="Reclaimer.Reclaim"/>'s, or a plain pass's. The documented outcome: <see cref="Reclaimer.Stop"/> (and so
/// Dispose) waits for a background run in progress, except on the reclaimer's own thread where it cannot; direct
/// reclaim is the caller's and keeps working; <see cref="Shrinker.Free"/> waits only for its own shrinker's calls.
/// Nothing deadlocks, nothing is reported as a failure, and no background run starts after Stop returned.
/// </summary>
public class DisposeDuringPassTests
{
    [Fact(Timeout = Run.TestMs)]
    public async Task DisposeWhileTheBackgroundRunIsHeld_WaitsForTheRunThenNoMoreBackgroundCallbacks()
    {
        using var scene = new Scene();
        FaultyShrinker held = scene.Add("held", objects: 1_000_000);
        using var hold = new Hold();
        held.Scan = Faults.HangScan(hold, Faults.First);
        var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());
        var observer = new Observer();
        using IDisposable subscription = reclaimer.Subscribe(observer);
        reclaimer.Start();
        hold.WaitEntered("the background run's scan");

        Task dispose = Threaded.Start(reclaimer.Dispose);
        Assert.False(await Threaded.CompletesWithin(dispose, TimeSpan.FromMilliseconds(200)), "Dispose returned while a background run was inside a callback");
        hold.Release();
        await Threaded.Within(dispose, "Dispose after the release");

        Assert.False(reclaimer.IsRunning);
        Assert.Equal(1, reclaimer.RunCount);
        Assert.True(observer.Completed);
        int calls = held.Calls;
        reclaimer.Signal(MemoryPressureLevel.Critical);
        await Task.Delay(150, TestContext.Current.CancellationToken); // several sampling intervals
        Assert.Equal(calls, held.Calls);
        Assert.Equal(1, reclaimer.RunCount);
        Assert.Empty(scene.Reports.ReclaimerFailures);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData("Stop")]
    [InlineData("Dispose")]
    public async Task StopOrDisposeFromInsideACallbackOfTheBackgroundRun_ReturnsAndNoRunStartsAfterwards(string how)
    {
        using var scene = new Scene();
        FaultyShrinker stopper = scene.Add("stops-the-reclaimer", objects: 1_000_000);
        var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());
        var observer = new Observer();
        using IDisposable subscription = reclaimer.Subscribe(observer);
        int returned = 0;
        string? thread = null;
        stopper.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                thread = Thread.CurrentThread.Name;
                if (how == "Stop")
                {
                    reclaimer.Stop();
                }
                else
                {
                    reclaimer.Dispose();
                }

                Interlocked.Exchange(ref returned, 1);
            }

            return self.HonestScan(ref control);
        };

        reclaimer.Start();
        Run.Until(() => Volatile.Read(ref returned) == 1, $"{how} returning inside the callback (it must not wait for its own thread)");
        Run.Until(() => reclaimer.RunCount == 1, "the run completing");

        Assert.Equal("Reclaim reclaimer", thread);
        Assert.False(reclaimer.IsRunning);
        Assert.Equal(how == "Dispose", observer.Completed);
        await Run.Within(reclaimer.Dispose, "Dispose afterwards");
        int calls = stopper.Calls;
        await Task.Delay(150, TestContext.Current.CancellationToken);
        Assert.Equal(calls, stopper.Calls);
        Assert.Equal(1, reclaimer.RunCount);
        Assert.Empty(scene.Reports.ReclaimerFailures);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData("PressureChanged")]
    [InlineData("Subscribe")]
    public async Task StopFromAPressureHandlerOnTheReclaimersThread_NoRunStartsAfterwardsAndChargesNoLongerReclaim(string handler)
    {
        // The first reading raises the level (the heap is far above the tiny limit); its handler stops the reclaimer.
        // Once Stop has returned no background run may start, and the root's pressure line must be gone with the
        // readings that kept it fresh: charges go back to their groups' own limits.
        using var scene = new Scene();
        FaultyShrinker shrinker = scene.Add("watched", objects: 1_000_000);
        var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());
        int stopped = 0;
        void StopOnce()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                reclaimer.Stop();
            }
        }

        var observer = new Observer(onNext: level =>
        {
            if (level != MemoryPressureLevel.None)
            {
                StopOnce();
            }
        });
        if (handler == "PressureChanged")
        {
            reclaimer.PressureChanged += (_, _) => StopOnce();
        }

        using IDisposable subscription = reclaimer.Subscribe(handler == "Subscribe" ? observer : new Observer());
        reclaimer.Start();
        Run.Until(() => Volatile.Read(ref stopped) == 1, "the handler stopping the reclaimer");

        // Not Dispose (its own Stop would clear the line after joining): give the thread time to do what it would.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(0, reclaimer.RunCount);
        Assert.Equal(0, shrinker.Calls);
        Assert.True(await Run.Within(() => scene.Root.TryCharge(1_000), "a charge"));
        Assert.Equal(0, shrinker.Calls);
        scene.Root.Uncharge(1_000);
        await Run.Within(reclaimer.Dispose, "Dispose");
        Assert.Equal(0, reclaimer.RunCount);
        Assert.Empty(scene.Reports.ReclaimerFailures);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task DisposeWhileADirectReclaimIsInsideACallback_DoesNotWaitAndTheReclaimCompletes()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker held = scene.AddInGroup("held", tenant, objects: 10_000, bytesPerObject: 10);
        using var hold = new Hold();
        held.Scan = Faults.HangScan(hold, Faults.First);
        var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());
        reclaimer.Start();

        Task<ReclaimResult> direct = Run.Within(() => reclaimer.Reclaim(20_000, tenant, TestContext.Current.CancellationToken), "the direct reclaim");
        hold.WaitEntered();
        await Run.Within(reclaimer.Dispose, "Dispose while a direct reclaim is inside a callback");
        Assert.False(direct.IsCompleted);
        hold.Release();
        ReclaimResult result = await direct;

        Assert.True(result.TargetMet);
        Assert.Equal(held.ObjectsTaken * 10, result.BytesFreed);
        Assert.Equal(held.HeldBytes, tenant.Usage);
        Assert.Empty(scene.Reports.ReclaimerFailures);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task DisposeFromInsideACallbackOfADirectReclaim_TheReclaimCompletes()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker disposer = scene.AddInGroup("disposes", tenant, objects: 10_000, bytesPerObject: 10);
        var reclaimer = new Reclaimer(scene.Registry, Reclaimers.DirectOnly());
        reclaimer.Start();
        disposer.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                reclaimer.Dispose(); // joins the (idle) background thread; this thread is the caller's
            }

            return self.HonestScan(ref control);
        };

        ReclaimResult result = await Run.Within(() => reclaimer.Reclaim(20_000, tenant, TestContext.Current.CancellationToken), "the direct reclaim");

        Assert.True(result.TargetMet);
        Assert.False(reclaimer.IsRunning);
        Assert.Equal(disposer.HeldBytes, tenant.Usage);
        Assert.Equal(10_000 * 10 - tenant.Usage, result.BytesFreed);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task EveryShrinkerFreedWhileTheBackgroundRunIsHeldInOne_IdleOnesAtOnceTheHeldOneAfterItsCall()
    {
        using var scene = new Scene();
        FaultyShrinker held = scene.Add("held", objects: 1_000_000);
        FaultyShrinker[] idle = [scene.Add("idle-1"), scene.Add("idle-2"), scene.Add("idle-3")];
        using var hold = new Hold();
        held.Scan = Faults.HangScan(hold, Faults.First);
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());
        reclaimer.Start();
        hold.WaitEntered("the background run's scan");

        foreach (FaultyShrinker shrinker in idle)
        {
            await Run.Within(shrinker.Free, "Free of an idle shrinker");
        }

        Task freeHeld = Threaded.Start(held.Free);
        Task stop = Threaded.Start(reclaimer.Stop);
        Assert.False(await Threaded.CompletesWithin(Task.WhenAny(freeHeld, stop), TimeSpan.FromMilliseconds(200)));
        hold.Release();
        await Threaded.Within(Task.WhenAll(freeHeld, stop), "Free and Stop after the release");

        Assert.Equal(0, scene.Registry.RegisteredCount);
        Assert.All(idle, s => Assert.Equal(0, s.CallsAfterFree));
        Assert.Equal(0, held.CallsAfterFree);
        Assert.Equal(1, reclaimer.RunCount);
        Assert.Equal(0, scene.Registry.DropCaches(TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task EveryShrinkerFreedWhileAPlainPassIsInsideOne_ThePassEndsWithoutCallingTheFreedOnes()
    {
        using var scene = new Scene();
        FaultyShrinker held = scene.Add("held");
        FaultyShrinker[] later = [scene.Add("later-1"), scene.Add("later-2")];
        using var hold = new Hold();
        held.Count = Faults.HangCount(hold);

        Task<long> pass = Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));
        hold.WaitEntered();
        foreach (FaultyShrinker shrinker in later)
        {
            await Run.Within(shrinker.Free, "Free of a shrinker the pass has not reached");
        }

        Task freeHeld = Threaded.Start(held.Free);
        Assert.False(await Threaded.CompletesWithin(freeHeld, TimeSpan.FromMilliseconds(100)));
        hold.Release();
        long freed = await pass;
        await Threaded.Within(freeHeld, "Free of the held shrinker");

        Assert.Equal(1000, freed); // the held shrinker's visit completes (it was entered before Free began)
        Assert.All(later, s => Assert.Equal(0, s.Calls));
        Assert.Equal(0, scene.Registry.RegisteredCount);
        Assert.Equal(0, held.CallsAfterFree);
    }

    private sealed class Observer(Action<MemoryPressureLevel>? onNext = null) : IObserver<MemoryPressureLevel>
    {
        private int _completed;

        public bool Completed => Volatile.Read(ref _completed) != 0;

        public void OnCompleted() => Interlocked.Exchange(ref _completed, 1);

        public void OnError(Exception error)
        {
        }

        public void OnNext(MemoryPressureLevel value) => onNext?.Invoke(value);
    }
}
