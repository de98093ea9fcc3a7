using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The free protocol (<c>shrinker_free</c>): Free moves the shrinker to Freeing under the gate, drops the initial
/// reference, waits until the passes in flight drop theirs, then unlinks it and releases its id. Every test checks,
/// whenever a Free returns, that the shrinker is Freed with reference count 0, unlisted, with no callback running, and
/// (inside the callbacks, through <see cref="ObservedShrinker"/>) that no callback starts after that or from a pass that
/// began once the shrinker was Freeing.
/// </summary>
public class FreeProtocolTests
{
    private const uint Iterations = 1_000;

    [Fact]
    public void Free_AfterRegisterWhilePassesRun_NoCallbackStartsAfterFreeReturns()
    {
        // Two pass tasks and a register-then-free task: the passes meet the shrinker at every step of its life,
        // including a pass that holds it while Free drops the initial reference and a pass that starts after that.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var other = new ObservedShrinker(registry, "other");
            other.Shrinker.Register();
            var observed = new ObservedShrinker(registry, "observed");

            Task pass1 = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task pass2 = Task.Run(() =>
            {
                ObservedShrinker.RunPass(registry, observed);
                ObservedShrinker.RunPass(registry, observed);
            });
            Task lifecycle = Task.Run(() =>
            {
                observed.Shrinker.Register();
                observed.Free();
            });
            await Tasks.All(pass1, pass2, lifecycle);

            Registries.AssertRegistered(registry, other.Shrinker);
        }, Iterations);
    }

    [Fact]
    public void Free_RacingRegister_EitherRefusesTheRegisterOrFreesTheRegisteredShrinker()
    {
        // Register and Free of one shrinker from two tasks while a pass runs: Free must either come first (the
        // shrinker is freed unregistered and Register throws) or wait for the Register in progress (holding the gate)
        // and then free a registered shrinker.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var other = new ObservedShrinker(registry, "other");
            other.Shrinker.Register();
            var observed = new ObservedShrinker(registry, "observed");
            bool registered = false;
            bool refused = false;

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task register = Task.Run(() =>
            {
                try
                {
                    observed.Shrinker.Register();
                    registered = true;
                }
                catch (InvalidOperationException)
                {
                    refused = true;
                }
            });
            Task free = Task.Run(observed.Free);
            await Tasks.All(pass, register, free);

            Specification.Assert(registered != refused, $"Register both succeeded ({registered}) and was refused ({refused}).");
            Specification.Assert(
                registered || observed.CountCalls + observed.ScanCalls == 0,
                $"'{observed.Shrinker}' was never registered but its callbacks ran {observed.CountCalls + observed.ScanCalls} time(s).");
            observed.AfterFreeReturned("Free (at the end)");
            Registries.AssertRegistered(registry, other.Shrinker);
        }, Iterations);
    }

    [Fact]
    public void Free_TwoConcurrentCalls_EachReturnsOnlyOnceTheShrinkerIsFreed()
    {
        // A blocking Free and a FreeAsync at once, with a pass holding the shrinker: the second to arrive finds it
        // Freeing and must wait for the same drain; whichever finishes first unlinks it, the other must not return early.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var observed = new ObservedShrinker(registry, "observed");
            observed.Shrinker.Register();

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task free = Task.Run(observed.Free);
            Task freeAsync = Task.Run(observed.FreeAsync);
            await Tasks.All(pass, free, freeAsync);

            Registries.AssertRegistered(registry);
        }, Iterations);
    }

    [Fact]
    public void Free_WhilePassIsInsideScan_WaitsForTheScanToReturn()
    {
        // Free starts once the scan callback has begun (it yields in its middle), so every iteration has a call in
        // flight that Free must wait for; a second pass races the drop of the initial reference.
        int freeBeganInsideScan = 0;
        TestReport report = CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var scanBegan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var observed = new ObservedShrinker(registry, "observed", onScan: () => scanBegan.TrySetResult());
            observed.Shrinker.Register();

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task latePass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task free = Task.Run(async () =>
            {
                await scanBegan.Task;
                if (observed.Inside > 0)
                {
                    freeBeganInsideScan++;
                }

                observed.Free();
            });
            await Tasks.All(pass, latePass, free);

            Registries.AssertRegistered(registry);
        }, Iterations);

        TestContext.Current.TestOutputHelper?.WriteLine($"Free began inside the scan in {freeBeganInsideScan} of {report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} iterations.");
        Assert.True(freeBeganInsideScan > 0, "No iteration began Free while a scan callback was running.");
    }

    [Fact]
    public void Free_NeverRegisteredWhilePassesRun_FreesAtOnceAndReleasesItsIdOnce()
    {
        // Two Free calls of a shrinker that was never registered, while a pass walks the registered ones: it is never
        // called, both calls return with it Freed, and its id is released exactly once.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var other = new ObservedShrinker(registry, "other");
            other.Shrinker.Register();
            var observed = new ObservedShrinker(registry, "observed");

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task free = Task.Run(observed.Free);
            Task freeAsync = Task.Run(observed.FreeAsync);
            await Tasks.All(pass, free, freeAsync);

            Specification.Assert(observed.CountCalls + observed.ScanCalls == 0, $"The never-registered '{observed.Shrinker}' was called.");
            Registries.AssertRegistered(registry, other.Shrinker);
            int first = registry.Alloc("next").DebugId;
            int second = registry.Alloc("next").DebugId;
            Specification.Assert(
                first == observed.Shrinker.DebugId && second == observed.Shrinker.DebugId + 1,
                $"After freeing id {observed.Shrinker.DebugId} the next ids were {first} and {second}.");
        }, Iterations);
    }

    [Fact]
    public void FreeAsync_CancelledWhilePassesRun_LeavesItFreeingUncalledUntilTheNextFree()
    {
        // FreeAsync with a cancelled token gives up waiting if a pass still holds the shrinker: the shrinker must stay
        // Freeing (listed, counted, never called by a new pass) until the next Free, which finishes the job.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var observed = new ObservedShrinker(registry, "observed");
            observed.Shrinker.Register();
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();

            Task pass1 = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task pass2 = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task free = Task.Run(async () =>
            {
                try
                {
                    await observed.Shrinker.FreeAsync(cancelled.Token);
                    observed.AfterFreeReturned("FreeAsync (not cancelled)");
                }
                catch (OperationCanceledException)
                {
                    Specification.Assert(
                        observed.Shrinker.State == ShrinkerState.Freeing,
                        $"A cancelled FreeAsync left '{observed.Shrinker}' {observed.Shrinker.State}, not Freeing.");
                    Specification.Assert(
                        registry.RegisteredCount == 1 && registry.GetShrinkers().Contains(observed.Shrinker),
                        $"A cancelled FreeAsync unlisted '{observed.Shrinker}' before it was freed.");
                    ObservedShrinker.RunPass(registry, observed);
                    observed.Free();
                }
            });
            await Tasks.All(pass1, pass2, free);

            Registries.AssertRegistered(registry);
        }, Iterations);
    }
}
