using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The register protocol (<c>shrinker_register</c>): under the gate, Register links the shrinker, counts it, publishes
/// the Registered state and only then gives it its initial reference. A pass that reaches it before that reference is
/// set must skip it ("increment if not zero" fails on 0); from then on passes may call it. The callbacks
/// (<see cref="ObservedShrinker"/>) check that every call runs with the pass's own reference on top of the initial one.
/// </summary>
public class RegisterProtocolTests
{
    private const uint Iterations = 1_000;

    [Fact]
    public void Register_WhilePassesWalkTheList_NoCallbackRunsBeforeTheInitialReference()
    {
        // Two passes start on a list holding one other shrinker and walk on to the one being registered; the
        // published-but-unreferenced window is widened with an extra scheduling point (OnPublishedForTest).
        int publishedWithPassRunning = 0;
        TestReport report = CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var other = new ObservedShrinker(registry, "other");
            other.Shrinker.Register();
            var observed = new ObservedShrinker(registry, "observed");
            int passesRunning = 0;
            registry.OnPublishedForTest = published =>
            {
                if (passesRunning > 0)
                {
                    publishedWithPassRunning++;
                }

                SchedulingPoint.Interleave();
            };

            Task pass1 = Task.Run(() => RunCountedPass(registry, observed, ref passesRunning));
            Task pass2 = Task.Run(() => RunCountedPass(registry, observed, ref passesRunning));
            Task register = Task.Run(() =>
            {
                observed.Shrinker.Register();
                Specification.Assert(
                    observed.Shrinker.State == ShrinkerState.Registered && observed.Shrinker.ReferenceCount >= 1,
                    $"Register of '{observed.Shrinker}' returned with state {observed.Shrinker.State} and reference count {observed.Shrinker.ReferenceCount}.");
            });
            await Tasks.All(pass1, pass2, register);

            Registries.AssertRegistered(registry, other.Shrinker, observed.Shrinker);
            registry.OnPublishedForTest = null;
            observed.Free();
            other.Free();
            Registries.AssertRegistered(registry);
        }, Iterations);

        TestContext.Current.TestOutputHelper?.WriteLine($"Published while a pass ran in {publishedWithPassRunning} of {report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} iterations.");
        Assert.True(publishedWithPassRunning > 0, "No iteration published the shrinker while a pass was running.");
    }

    [Fact]
    public void Register_TwoConcurrentCalls_ExactlyOneSucceeds()
    {
        // Two Register calls of one shrinker while a pass runs: the gate lets one link it; the other must throw and
        // leave it linked once, counted once, with one initial reference.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var observed = new ObservedShrinker(registry, "observed");
            int succeeded = 0;
            int refused = 0;

            void TryRegister()
            {
                try
                {
                    observed.Shrinker.Register();
                    succeeded++;
                }
                catch (InvalidOperationException)
                {
                    refused++;
                }
            }

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, observed));
            Task register1 = Task.Run(TryRegister);
            Task register2 = Task.Run(TryRegister);
            await Tasks.All(pass, register1, register2);

            Specification.Assert(succeeded == 1 && refused == 1, $"{succeeded} Register call(s) succeeded and {refused} were refused.");
            Registries.AssertRegistered(registry, observed.Shrinker);
        }, Iterations);
    }

    private static void RunCountedPass(ShrinkerRegistry registry, ObservedShrinker observed, ref int passesRunning)
    {
        passesRunning++;
        ObservedShrinker.RunPass(registry, observed);
        passesRunning--;
    }
}
