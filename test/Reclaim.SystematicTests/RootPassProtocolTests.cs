using Microsoft.Coyote.Specifications;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The root pass (<c>shrink_slab</c> over the RCU list): passes walk the list without a lock while Register links at
/// the tail and Free unlinks, leaving the unlinked node's next link intact for a pass standing on it. A shrinker
/// registered before a pass begins and freed only after it ends must be called exactly once by that pass; deferred work
/// taken and given back by concurrent passes must never go negative.
/// </summary>
public class RootPassProtocolTests
{
    private const uint Iterations = 1_000;

    [Fact]
    public void ShrinkSlab_WhileNeighboursAreLinkedAndUnlinked_CallsEveryStableShrinkerOnce()
    {
        // List [A, B, C, E]: B (in the middle) and E (the tail) are freed and D is registered while one pass walks it;
        // the pass may stand on B or E as they are unlinked. A and C are there throughout and must each be counted once.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var a = new ObservedShrinker(registry, "a");
            var b = new ObservedShrinker(registry, "b");
            var c = new ObservedShrinker(registry, "c");
            var e = new ObservedShrinker(registry, "e");
            var d = new ObservedShrinker(registry, "d");
            a.Shrinker.Register();
            b.Shrinker.Register();
            c.Shrinker.Register();
            e.Shrinker.Register();

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, null));
            Task freeB = Task.Run(b.Free);
            Task freeE = Task.Run(e.Free);
            Task registerD = Task.Run(d.Shrinker.Register);
            await Tasks.All(pass, freeB, freeE, registerD);

            Specification.Assert(a.CountCalls == 1, $"The pass counted 'a' {a.CountCalls} time(s), not once.");
            Specification.Assert(c.CountCalls == 1, $"The pass counted 'c' {c.CountCalls} time(s), not once.");
            Specification.Assert(b.CountCalls <= 1 && e.CountCalls <= 1 && d.CountCalls <= 1, "The pass counted a shrinker more than once.");
            Registries.AssertRegistered(registry, a.Shrinker, c.Shrinker, d.Shrinker);
        }, Iterations);
    }

    [Fact]
    public void ShrinkSlab_StandingOnAChainOfUnlinkedNodes_WalksOnToTheNextLiveShrinker()
    {
        // List [A, B, C, D]: the adjacent B and C are freed while a pass walks, so a pass standing on B's unlinked node
        // may find its next link leading to C's node, unlinked too; it must still reach D (and E, registered meanwhile,
        // at most once). Each freed shrinker drops its node, so only the pass's own stack holds the unlinked nodes.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var a = new ObservedShrinker(registry, "a");
            var b = new ObservedShrinker(registry, "b");
            var c = new ObservedShrinker(registry, "c");
            var d = new ObservedShrinker(registry, "d");
            var e = new ObservedShrinker(registry, "e");
            a.Shrinker.Register();
            b.Shrinker.Register();
            c.Shrinker.Register();
            d.Shrinker.Register();

            Task pass = Task.Run(() => ObservedShrinker.RunPass(registry, null));
            Task freeB = Task.Run(b.Free);
            Task freeC = Task.Run(c.Free);
            Task registerE = Task.Run(e.Shrinker.Register);
            await Tasks.All(pass, freeB, freeC, registerE);

            Specification.Assert(a.CountCalls == 1, $"The pass counted 'a' {a.CountCalls} time(s), not once.");
            Specification.Assert(d.CountCalls == 1, $"The pass counted 'd' {d.CountCalls} time(s), not once.");
            Specification.Assert(b.CountCalls <= 1 && c.CountCalls <= 1 && e.CountCalls <= 1, "The pass counted a shrinker more than once.");
            Specification.Assert(b.Shrinker.ListNode is null && c.Shrinker.ListNode is null, "A freed shrinker still references its list node.");
            Registries.AssertRegistered(registry, a.Shrinker, d.Shrinker, e.Shrinker);
        }, Iterations);
    }

    [Fact]
    public void ShrinkSlab_ConcurrentPassesThatStop_DeferredStaysBetweenZeroAndPassesTimesCap()
    {
        // Scans that return Stop leave all the work deferred. Two tasks run passes at priorities 0 and 1 (then 0) on one
        // shrinker while it is freed: each pass takes the deferred work and gives back at most 2 * freeable, so the
        // counter is never negative and never above (concurrent passes) * 2 * freeable.
        const long objects = 10;
        const long cap = 2 * objects;
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry();
            var observed = new ObservedShrinker(registry, "observed", objects, scanResult: Shrinker.Stop);
            observed.Shrinker.Register();

            void PassAndCheck(int priority)
            {
                ObservedShrinker.RunPass(registry, observed, priority);
                long deferred = observed.Shrinker.GetDeferred(0);
                Specification.Assert(deferred is >= 0 and <= 2 * cap, $"After a pass '{observed.Shrinker}' defers {deferred}, outside [0, {2 * cap}].");
            }

            Task pass1 = Task.Run(() => PassAndCheck(0));
            Task pass2 = Task.Run(() =>
            {
                PassAndCheck(1);
                PassAndCheck(0);
            });
            Task free = Task.Run(observed.Free);
            await Tasks.All(pass1, pass2, free);

            long deferred = observed.Shrinker.GetDeferred(0);
            Specification.Assert(deferred is >= 0 and <= 2 * cap, $"'{observed.Shrinker}' ends deferring {deferred}, outside [0, {2 * cap}].");
            Registries.AssertRegistered(registry);
        }, Iterations);
    }
}
