using Microsoft.Extensions.Time.Testing;

namespace Reclaim.Tests.Mutation;

/// <summary>
/// The shrinker lifetime protocol at the states the other lifecycle tests pass through quickly: a shrinker held by a
/// pass while <c>Free</c> waits (state Freeing), reference counts at each step, the registration rules' messages,
/// and the registry's clock and id bookkeeping (docs/mutation-testing.md).
/// </summary>
public class LifecycleMutationTests
{
    [Fact]
    public async Task Freeing_WhileAPassHoldsTheShrinker_IsListedButNotFoundNotRegistrableAndNotCalledAgain()
    {
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "gated");
        Shrinker s = gated.Shrinker;
        Task pass = gated.StartPassAndWaitInside();
        Assert.Equal(2, s.ReferenceCount); // the initial reference and the pass's

        Task free = Task.Run(s.Free, TestContext.Current.CancellationToken);
        while (s.State != ShrinkerState.Freeing)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.False(s.IsRegistered);
        Assert.Equal(1, s.ReferenceCount); // the initial reference is dropped; the pass's remains
        Assert.Equal([s], registry.GetShrinkers()); // still linked: listed while Free waits
        Assert.Equal(1, registry.RegisteredCount);
        Assert.Null(registry.FindShrinker(s.ToString())); // but no longer found by name
        Assert.False(s.TryAcquire()); // no new call starts
        Assert.Equal(1, s.ReferenceCount);
        var ex = Assert.Throws<InvalidOperationException>(s.Register);
        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.ShrinkSlab(0, null, 0)); // a second pass skips it
        Assert.Equal(1, gated.GatedCalls);
        Assert.False(free.IsCompleted);

        gated.Release();
        await Threaded.Within(pass, "the held pass");
        await Threaded.Within(free, "Free after the pass returned");

        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, s.ReferenceCount);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Empty(registry.GetShrinkers());
        s.Free(); // freed: a no-op
        Assert.Equal(ShrinkerState.Freed, s.State);
    }

    [Fact]
    public void TryAcquire_RegisteredShrinker_TakesAndReleaseDropsAReference()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = TestShrinkers.Counter(registry, "c", 10, out _);

        Assert.True(s.TryAcquire());
        Assert.True(s.TryAcquire());
        Assert.Equal(3, s.ReferenceCount);
        s.Release();
        s.Release();
        Assert.Equal(1, s.ReferenceCount);

        s.Free();
        Assert.False(s.TryAcquire());
        Assert.Equal(0, s.ReferenceCount);
    }

    [Fact]
    public void TryAcquire_AllocatedShrinker_Fails()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("young");

        Assert.False(s.TryAcquire());
        Assert.Equal(0, s.ReferenceCount);
    }

    [Fact]
    public void Register_MissingCallbacks_NamesExactlyTheMissingOnes()
    {
        var registry = new ShrinkerRegistry();
        Shrinker none = registry.Alloc("none");
        Shrinker noScan = registry.Alloc("no-scan");
        noScan.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        Shrinker noCount = registry.Alloc("no-count");
        noCount.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;

        string both = Assert.Throws<InvalidOperationException>(none.Register).Message;
        string scan = Assert.Throws<InvalidOperationException>(noScan.Register).Message;
        string count = Assert.Throws<InvalidOperationException>(noCount.Register).Message;

        Assert.Contains("without CountObjects and ScanObjects;", both, StringComparison.Ordinal);
        Assert.Contains("without ScanObjects;", scan, StringComparison.Ordinal);
        Assert.Contains("without CountObjects;", count, StringComparison.Ordinal);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Equal(ShrinkerState.Allocated, none.State);
    }

    [Fact]
    public void RegisteredCount_FollowsRegisterAndFree_NotAllocOrFreeOfUnregistered()
    {
        var registry = new ShrinkerRegistry();
        Shrinker a = TestShrinkers.Counter(registry, "a", 1, out _);
        Shrinker b = TestShrinkers.Counter(registry, "b", 1, out _);
        Shrinker young = registry.Alloc("young");
        Assert.Equal(2, registry.RegisteredCount);

        young.Free();
        Assert.Equal(2, registry.RegisteredCount);
        a.Free();
        Assert.Equal(1, registry.RegisteredCount);
        Assert.Equal([b], registry.GetShrinkers());
        a.Free();
        Assert.Equal(1, registry.RegisteredCount);
    }

    [Fact]
    public void Free_NeverRegistered_ReleasesBothIdsForReuse()
    {
        var registry = new ShrinkerRegistry();
        Shrinker first = registry.Alloc("first", ShrinkerFlags.GroupAware);
        Shrinker second = registry.Alloc("second", ShrinkerFlags.GroupAware);
        Assert.Equal((0, 1), (first.DebugId, second.DebugId));

        first.Free();
        Shrinker third = registry.Alloc("third", ShrinkerFlags.GroupAware);

        Assert.Equal(ShrinkerState.Freed, first.State);
        Assert.Equal((0, 0), (third.DebugId, third.GroupAwareId));
        Assert.Throws<InvalidOperationException>(first.Register);
    }

    [Fact]
    public void Alloc_FlagsOutsideTheEnum_Throw()
    {
        var registry = new ShrinkerRegistry();

        Assert.Throws<ArgumentOutOfRangeException>(() => registry.Alloc("x", (ShrinkerFlags)4));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.Alloc("x", ShrinkerFlags.GroupAware | (ShrinkerFlags)8));
        Shrinker both = registry.Alloc("both", ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware);
        Assert.True(both.IsNodeAware && both.IsGroupAware);
        Assert.Equal(0, both.DebugId); // the refused calls took no id
    }

    [Theory]
    [InlineData(1.0, 1)]
    [InlineData(1.2, 2)]
    [InlineData(2500.0, 2500)]
    public void StuckCallbackThreshold_IsRoundedUpToWholeMilliseconds(double milliseconds, long expected)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions
        {
            StuckCallbackThreshold = TimeSpan.FromMilliseconds(milliseconds),
        });

        Assert.Equal(expected, registry.StuckCallbackThresholdMs);
    }

    [Fact]
    public void Options_Limits_AreInclusive()
    {
        Assert.Equal(1, new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 }).NodeCount);
        Assert.Equal(1024, new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1024 }).NodeCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1025 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkerRegistry(new ShrinkerRegistryOptions { StuckCallbackThreshold = TimeSpan.Zero }));
        Assert.Equal(1, new ShrinkerRegistry(new ShrinkerRegistryOptions { StuckCallbackThreshold = TimeSpan.FromTicks(1) }).StuckCallbackThresholdMs);
    }

    [Fact]
    public void NowMilliseconds_FakeClockWithAnyFrequency_CountsMilliseconds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { TimeProvider = time });
        long start = registry.NowMilliseconds();

        time.Advance(TimeSpan.FromMilliseconds(1_234));

        Assert.Equal(1_234, registry.NowMilliseconds() - start);
    }

    [Fact]
    public void Diagnostics_AddedThenRemoved_ReceivesReportsOnlyWhileAdded()
    {
        var registry = new ShrinkerRegistry();
        var hook = new CountingDiagnostics();
        Shrinker s = registry.Alloc("bad");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => -5; // a contract violation
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();

        registry.AddDiagnostics(hook);
        registry.ShrinkSlab(0, null, 0);
        Assert.Equal(1, hook.Violations);

        registry.RemoveDiagnostics(hook);
        registry.ShrinkSlab(0, null, 0);
        Assert.Equal(1, hook.Violations);
        Assert.Equal(2, s.GetStatistics().ContractViolations);
    }

    [Fact]
    public async Task FreeAsync_WithACallerContext_FinishesWithoutPostingToIt()
    {
        // A caller on a UI-like context that blocks on the task (sync over async) would deadlock if the rest of
        // FreeAsync were posted back to that context: the wait for the calls in flight must not capture it.
        var registry = new ShrinkerRegistry();
        using var gated = new GatedShrinker(registry, "held");
        Shrinker s = gated.Shrinker;
        Task pass = gated.StartPassAndWaitInside();
        var context = new CountingContext();

        Task free;
        SynchronizationContext? previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            free = s.FreeAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.False(free.IsCompleted); // it waits for the held call
        gated.Release();
        await Threaded.Within(pass, "the held pass");
        await Threaded.Within(free, "FreeAsync after the pass returned");

        Assert.Equal(ShrinkerState.Freed, s.State);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Equal(0, context.Posts);
    }

    [Fact]
    public void FindShrinker_Null_Throws()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1, out _);

        var ex = Assert.Throws<ArgumentNullException>(() => registry.FindShrinker(null!));
        Assert.Equal("debugName", ex.ParamName);
    }

    /// <summary>Counts what is posted to it, and runs it on the thread pool so that a test failing here still ends.</summary>
    private sealed class CountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            d(state);
        }
    }

    private sealed class CountingDiagnostics : Reclaim.Internal.ReclaimDiagnostics
    {
        public int Violations { get; private set; }

        public override void ContractViolated(Shrinker shrinker, Reclaim.Internal.ShrinkerCallbackKind kind, long value) => Violations++;
    }
}
