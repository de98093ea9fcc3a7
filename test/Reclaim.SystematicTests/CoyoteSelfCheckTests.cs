using System.Reflection;
using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// Checks that the tests in this project can fail: the assembly is rewritten, so Coyote controls the tasks, locks and
/// waits that the Reclaim sources use, finds a planted race with its own assertion (not a spurious deadlock), does not
/// mistake a lock held across a scheduling point for a deadlock, reports a real deadlock of Free and a livelock, and
/// explores interleavings inside the real pass code.
/// </summary>
public class CoyoteSelfCheckTests
{
    private static readonly object s_gate = new();
    private static int s_value;

    [Fact]
    public void Assembly_AfterBuild_IsRewrittenForCoyote()
    {
        bool rewritten = typeof(CoyoteSelfCheckTests).Assembly.GetCustomAttributes()
            .Any(attribute => attribute.GetType().FullName == "Microsoft.Coyote.Rewriting.RewritingSignatureAttribute");
        Assert.True(
            rewritten,
            "Reclaim.SystematicTests.dll is not rewritten by `coyote rewrite`: Coyote then controls neither Task.Run nor lock nor Task.Wait, and the systematic tests explore nothing. Build the project normally (its CoyoteRewrite target runs the local tool from .config/dotnet-tools.json).");
    }

    [Fact]
    public void Engine_PlantedLostUpdate_IsFoundWithItsAssertion()
    {
        TestReport report = CoyoteTest.Explore(async () =>
        {
            s_value = 0;
            Task a = Task.Run(Increment);
            Task b = Task.Run(Increment);
            await Tasks.All(a, b);
            Specification.Assert(s_value == 2, $"lost update: {s_value}");
        }, 100, out string failure);

        Assert.True(report.NumOfFoundBugs == 1, $"Coyote did not find the planted lost update in 100 iterations.\n{failure}");
        Assert.Contains("lost update: 1", string.Join('\n', report.BugReports), StringComparison.Ordinal);

        static void Increment()
        {
            int value = s_value;
            SchedulingPoint.Interleave();
            s_value = value + 1;
        }
    }

    [Fact]
    public void Engine_LockHeldAcrossSchedulingPoint_IsNotADeadlock()
    {
        // Register holds the registry's gate across a scheduling point: Coyote must block the other lockers (not hang,
        // not report a deadlock) and keep the increments atomic.
        CoyoteTest.Run(async () =>
        {
            s_value = 0;
            Task a = Task.Run(IncrementLocked);
            Task b = Task.Run(IncrementLocked);
            await Tasks.All(a, b);
            Specification.Assert(s_value == 2, $"lost update under a lock: {s_value}");
        }, 100);

        static void IncrementLocked()
        {
            lock (s_gate)
            {
                int value = s_value;
                SchedulingPoint.Interleave();
                s_value = value + 1;
            }
        }
    }

    [Fact]
    public void Engine_FreeWaitingForScanThatWaitsForFree_IsReportedAsDeadlock()
    {
        // A scan callback that waits for its own Free to return, as a careless owner might: Free waits for the scan,
        // the scan for Free. Coyote must report the deadlock (so the other tests' "no deadlock" means something).
        TestReport report = CoyoteTest.Explore(async () =>
        {
            var registry = new ShrinkerRegistry();
            var freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var scanning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Shrinker shrinker = registry.Alloc("waits-for-free");
            shrinker.CountObjects = (Shrinker _, ref ShrinkControl _) => 10;
            shrinker.ScanObjects = (Shrinker _, ref ShrinkControl control) =>
            {
                scanning.TrySetResult();
                freed.Task.Wait();
                return control.NrToScan;
            };
            shrinker.Register();

            Task pass = Task.Run(() => registry.ShrinkSlab(0, null, 0));
            Task free = Task.Run(async () =>
            {
                await scanning.Task;
                shrinker.Free();
                freed.TrySetResult();
            });
            await Tasks.All(pass, free);
        }, 10, out string failure);

        Assert.True(report.NumOfFoundBugs == 1, $"Coyote did not report the deadlock.\n{failure}");
        Assert.Contains("Deadlock", string.Join('\n', report.BugReports), StringComparison.Ordinal);
    }

    [Fact]
    public void Engine_OperationThatSpinsForever_IsReportedAtTheStepBound()
    {
        // A livelock (an operation that keeps running without ever letting the test end) must fail at the step bound
        // rather than pass or hang.
        TestReport report = CoyoteTest.Explore(async () =>
        {
            bool stop = false;
            await Task.Run(() =>
            {
                while (!stop)
                {
                    SchedulingPoint.Interleave();
                }
            });
        }, 1, out string failure);

        Assert.True(report.NumOfFoundBugs == 1, $"Coyote did not stop the spinning operation.\n{failure}");
        Assert.Contains("Scheduling steps bound", string.Join('\n', report.BugReports), StringComparison.Ordinal);
    }

    [Fact]
    public void Engine_TwoConcurrentPassesThatStop_FindsDeferredAboveOneCap()
    {
        // Exploration inside the real pass: two passes that both take the deferred work (0) before either gives its
        // share back leave 2 * (2 * freeable) deferred, twice the cap a single pass keeps to. The kernel's
        // xchg/add has the same window; the next pass takes it all and clamps it again. Coyote must find it.
        const long objects = 10;
        const long cap = 2 * objects;
        TestReport report = CoyoteTest.Explore(async () =>
        {
            var registry = new ShrinkerRegistry();
            var observed = new ObservedShrinker(registry, "observed", objects, scanResult: Shrinker.Stop);
            observed.Shrinker.Register();
            Task pass1 = Task.Run(() => registry.ShrinkSlab(0, null, 0));
            Task pass2 = Task.Run(() => registry.ShrinkSlab(0, null, 0));
            await Tasks.All(pass1, pass2);
            long deferred = observed.Shrinker.GetDeferred(0);
            Specification.Assert(deferred <= cap, $"deferred {deferred} above the cap {cap}");
        }, 1_000, out string failure);

        Assert.True(report.NumOfFoundBugs == 1, $"Coyote did not find two passes overlapping between TakeDeferred and AddDeferred.\n{failure}");
        Assert.Contains($"deferred {2 * cap} above the cap {cap}", string.Join('\n', report.BugReports), StringComparison.Ordinal);
    }
}
