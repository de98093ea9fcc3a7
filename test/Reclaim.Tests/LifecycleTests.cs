namespace Reclaim.Tests;

/// <summary>
/// The kernel 6.7 lifecycle: alloc, register, free. Deterministic: threads meet at gates, never at sleeps; every wait
/// has a timeout so a broken protocol fails instead of hanging.
/// </summary>
public class LifecycleTests
{
    private static readonly TimeSpan Timeout = Threaded.Timeout;

    [Fact]
    public void Alloc_New_IsAllocatedWithZeroReferences()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("cache");

        Assert.Equal(ShrinkerState.Allocated, s.State);
        Assert.False(s.IsRegistered);
        Assert.Equal(0, s.ReferenceCount);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Empty(registry.GetShrinkers());
    }

    [Fact]
    public void Register_WithCallbacks_PublishesWithInitialReference()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = TestShrinkers.Counter(registry, "cache", 100, out _);

        Assert.Equal(ShrinkerState.Registered, s.State);
        Assert.True(s.IsRegistered);
        Assert.Equal(1, s.ReferenceCount);
        Assert.Equal([s], registry.GetShrinkers());
        Assert.Same(s, registry.FindShrinker(s.ToString()));
        registry.AssertInvariants();
    }

    [Fact]
    public void Free_NeverRegistered_FreesAndReleasesDebugId()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("never");
        int id = s.DebugId;

        s.Free();

        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, s.ReferenceCount);
        Assert.Equal(id, registry.Alloc("next").DebugId);
    }

    [Fact]
    public void Free_Registered_UnlinksAndNoLongerCalled()
    {
        var registry = new ShrinkerRegistry();
        int counts = 0;
        Shrinker s = registry.Alloc("cache");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => { counts++; return 0; };
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();
        registry.ShrinkSlab(0, null, 0);
        Assert.Equal(1, counts);

        s.Free();
        registry.ShrinkSlab(0, null, 0);

        Assert.Equal(1, counts);
        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, s.ReferenceCount);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Null(registry.FindShrinker(s.ToString()));
        registry.AssertInvariants();
    }

    [Fact]
    public void Free_Twice_SecondIsNoOp()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = TestShrinkers.Counter(registry, "cache", 10, out _);

        s.Free();
        s.Dispose();

        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, registry.RegisteredCount);
    }

    [Fact]
    public async Task Free_WhileScanInFlight_WaitsForItAndNothingRunsAfter()
    {
        var registry = new ShrinkerRegistry();
        using var inScan = new ManualResetEventSlim();
        using var releaseScan = new ManualResetEventSlim();
        int freeReturned = 0;
        int callsAfterFree = 0;
        long objects = 1_000;
        Shrinker s = registry.Alloc("slow");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) =>
        {
            if (Volatile.Read(ref freeReturned) != 0) { Interlocked.Increment(ref callsAfterFree); }
            return objects;
        };
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            if (Volatile.Read(ref freeReturned) != 0) { Interlocked.Increment(ref callsAfterFree); }
            inScan.Set();
            Assert.True(releaseScan.Wait(Timeout), "the test never released the scan");
            return sc.NrToScan;
        };
        s.Register();

        var pass = Threaded.Start(() => registry.ShrinkSlab(0, null, 0));
        Assert.True(inScan.Wait(Timeout, TestContext.Current.CancellationToken), "the pass never reached the scan");
        var free = Threaded.Start(() => { s.Free(); Volatile.Write(ref freeReturned, 1); });

        // Free must be waiting for the scan in flight: it cannot have returned while the scan is held.
        Assert.False(await Threaded.CompletesWithin(free, TimeSpan.FromMilliseconds(200)), "Free returned while a scan of its shrinker was running");
        Assert.Equal(ShrinkerState.Freeing, s.State);
        Assert.Equal(1, s.ReferenceCount); // the initial reference is gone; the pass's remains

        releaseScan.Set();
        await Threaded.Within(free, "Free did not return after the scan finished");
        await Threaded.Within(pass);
        for (int i = 0; i < 5; i++) { registry.ShrinkSlab(0, null, 0); }

        Assert.Equal(0, callsAfterFree);
        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, s.ReferenceCount);
    }

    [Fact]
    public async Task Free_FromOwnScanCallback_ThrowsInsteadOfDeadlocking()
    {
        var registry = new ShrinkerRegistry();
        Exception? caught = null;
        Shrinker s = registry.Alloc("self");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 10;
        s.ScanObjects = (Shrinker self, ref ShrinkControl sc) =>
        {
            caught = Record.Exception(self.Free);
            return sc.NrToScan;
        };
        s.Register();

        var pass = Threaded.Start(() => registry.ShrinkSlab(0, null, 0));

        await Threaded.Within(pass, "the pass deadlocked");
        var ex = Assert.IsType<InvalidOperationException>(caught);
        Assert.Contains("inside its own callback", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ShrinkerState.Registered, s.State);
        s.Free();
        Assert.Equal(ShrinkerState.Freed, s.State);
    }

    [Fact]
    public async Task Free_FromOwnCountCallback_Throws()
    {
        var registry = new ShrinkerRegistry();
        Exception? caught = null;
        Shrinker s = registry.Alloc("self");
        s.CountObjects = (Shrinker self, ref ShrinkControl _) => { caught = Record.Exception(self.Free); return 0; };
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();

        await Threaded.Within(Threaded.Start(() => registry.ShrinkSlab(0, null, 0)));

        Assert.IsType<InvalidOperationException>(caught);
    }

    [Fact]
    public async Task Free_FromNestedPassInsideOwnCallback_Throws()
    {
        // S's scan runs a nested pass; T's callback in that pass tries to free S, which is still on this thread's stack.
        var registry = new ShrinkerRegistry();
        Shrinker? outer = null;
        Exception? caught = null;
        bool nested = false;
        Shrinker t = registry.Alloc("inner");
        t.CountObjects = (Shrinker _, ref ShrinkControl _) =>
        {
            if (nested) { caught = Record.Exception(outer!.Free); }
            return 0;
        };
        t.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        outer = registry.Alloc("outer");
        outer.CountObjects = (Shrinker _, ref ShrinkControl _) => 1;
        outer.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            if (!nested) { nested = true; registry.ShrinkSlab(0, null, 0); nested = false; }
            return sc.NrToScan;
        };
        outer.Register();
        t.Register();

        await Threaded.Within(Threaded.Start(() => registry.ShrinkSlab(0, null, 0)), "deadlocked");

        Assert.IsType<InvalidOperationException>(caught);
    }

    [Fact]
    public async Task Free_OtherShrinkerFromCallback_Succeeds()
    {
        var registry = new ShrinkerRegistry();
        Shrinker victim = TestShrinkers.Counter(registry, "victim", 10, out _);
        Shrinker s = registry.Alloc("killer");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => { victim.Free(); return 0; };
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();

        await Threaded.Within(Threaded.Start(() => registry.ShrinkSlab(0, null, 0)));

        Assert.Equal(ShrinkerState.Freed, victim.State);
        Assert.Equal(1, registry.RegisteredCount);
    }

    [Fact]
    public void Register_Twice_ThrowsSayingAlreadyRegistered()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = TestShrinkers.Counter(registry, "cache", 10, out _);

        var ex = Assert.Throws<InvalidOperationException>(s.Register);

        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, registry.RegisteredCount);
    }

    [Fact]
    public void Register_AfterFree_ThrowsSayingFreed()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("cache");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Free();

        var ex = Assert.Throws<InvalidOperationException>(s.Register);

        Assert.Contains("has been freed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.RegisteredCount);
    }

    [Fact]
    public void Register_BetweenPublishAndInitialReference_PassSkipsShrinker()
    {
        var registry = new ShrinkerRegistry();
        int counts = 0;
        long freedInside = -1;
        int stateInside = -1;
        Shrinker s = registry.Alloc("young");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => { counts++; return 100; };
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) => sc.NrToScan;
        registry.OnPublishedForTest = published =>
        {
            // Linked and marked registered, but its reference count is still 0: a pass must not call it.
            stateInside = published.ReferenceCount;
            freedInside = registry.ShrinkSlab(0, null, 0);
        };

        s.Register();
        registry.OnPublishedForTest = null;

        Assert.Equal(0, stateInside);
        Assert.Equal(0, freedInside);
        Assert.Equal(0, counts);
        Assert.True(registry.ShrinkSlab(0, null, 0) > 0);
        Assert.Equal(1, counts);
    }

    [Fact]
    public async Task FreeAsync_WhileScanInFlight_CompletesAfterScan()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "slow");
        Task pass = gated.StartPassAndWaitInside();

        Task free = gated.Shrinker.FreeAsync(TestContext.Current.CancellationToken);
        Assert.False(free.IsCompleted);
        gated.Release();
        await Threaded.Within(free);
        await Threaded.Within(pass);

        Assert.Equal(ShrinkerState.Freed, gated.Shrinker.State);
        Assert.Equal(0, registry.RegisteredCount);
    }

    [Fact]
    public async Task FreeAsync_Cancelled_StaysFreeingUntilNextFree()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "slow");
        Shrinker s = gated.Shrinker;
        Task pass = gated.StartPassAndWaitInside();
        using var cts = new CancellationTokenSource();

        Task free = s.FreeAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => free);
        Assert.Equal(ShrinkerState.Freeing, s.State);

        // Another pass does not call a shrinker being freed.
        Assert.Equal(0, registry.ShrinkSlab(0, null, 0));
        Assert.Equal(1, gated.GatedCalls);

        gated.Release();
        await Threaded.Within(pass);
        s.Free();
        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, registry.RegisteredCount);
    }

    [Fact]
    public async Task Free_FromTwoThreadsWhileScanInFlight_BothReturnOnlyWhenFreed()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "slow");
        Shrinker s = gated.Shrinker;
        Task pass = gated.StartPassAndWaitInside();

        ShrinkerState seenByFirst = default, seenBySecond = default;
        var first = Threaded.Start(() => { s.Free(); seenByFirst = s.State; });
        var second = Threaded.Start(() => { s.Free(); seenBySecond = s.State; });
        Assert.False(await Threaded.CompletesWithin(Task.WhenAll(first, second), TimeSpan.FromMilliseconds(200)));
        gated.Release();

        await Threaded.Within(Task.WhenAll(first, second, pass));
        Assert.Equal(ShrinkerState.Freed, seenByFirst);
        Assert.Equal(ShrinkerState.Freed, seenBySecond);
    }

    [Fact]
    public async Task Free_WithPassesRunningOtherShrinkers_DoesNotWaitForThem()
    {
        // Free waits only for calls into its own shrinker: a stuck callback of another shrinker must not hold it up.
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "stuck", gateCount: true);
        Shrinker other = TestShrinkers.Counter(registry, "other", 10, out _);
        Task pass = gated.StartPassAndWaitInside();

        await Threaded.Within(Threaded.Start(other.Free), "Free of one shrinker waited for another's stuck callback");
        Assert.Equal(ShrinkerState.Freed, other.State);
        Assert.Equal(1, gated.Shrinker.GetStatistics().RunningCallbacks);

        gated.Release();
        await Threaded.Within(pass);
        gated.Shrinker.Free();
    }

    [Fact]
    public async Task Register_WhilePassStuckInAnotherShrinker_DoesNotWait()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "stuck", gateCount: true);
        Task pass = gated.StartPassAndWaitInside();

        Shrinker? added = null;
        await Threaded.Within(
            Threaded.Start(() => added = TestShrinkers.Counter(registry, "new", 10, out _)),
            "Register while a pass is stuck in another shrinker");
        Assert.Equal(2, registry.RegisteredCount);

        gated.Release();
        await Threaded.Within(pass);
        added!.Free();
        gated.Shrinker.Free();
    }
}
