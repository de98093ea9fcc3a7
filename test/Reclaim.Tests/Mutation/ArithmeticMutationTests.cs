using Microsoft.Extensions.Time.Testing;
using Reclaim.Groups;
using Reclaim.Tests.Groups;

namespace Reclaim.Tests.Mutation;

/// <summary>
/// The reclaim loop (<c>ShrinkerRegistry.ReclaimUntil</c>) and the bookkeeping around one shrinker's visit
/// (<c>do_shrink_slab</c>): which priorities run and in what order, what the goal is told after each, when the loop
/// stops, the protected first sweep, what a pass counts, and how the clock is carried from one visit to the next
/// (docs/mutation-testing.md).
/// </summary>
public class ArithmeticMutationTests
{
    /// <summary>What the loop told a goal, in order.</summary>
    private sealed class GoalLog
    {
        public List<(int Priority, long Freed, long Counted)> AfterPriorityCalls { get; } = [];

        public List<long> IsMetCalls { get; } = [];
    }

    /// <summary>Met once <see cref="_target"/> objects are freed; records every call.</summary>
    private readonly struct RecordingGoal(GoalLog log, long target) : IReclaimGoal
    {
        private readonly long _target = target;

        public bool IsMet(long objectsFreed)
        {
            log.IsMetCalls.Add(objectsFreed);
            return objectsFreed >= _target;
        }

        public void AfterPriority(int priority, long objectsFreed, long objectsCounted) =>
            log.AfterPriorityCalls.Add((priority, objectsFreed, objectsCounted));
    }

    [Fact]
    public void ReclaimUntil_NeverMet_RunsEveryPriorityDownToTheLowestAndTellsTheGoalFreedAndCounted()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1_000_000, out StrongBox<long> objects);
        var log = new GoalLog();
        var goal = new RecordingGoal(log, long.MaxValue);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 9, TestContext.Current.CancellationToken);

        Assert.Equal([12, 11, 10, 9], log.AfterPriorityCalls.Select(c => c.Priority));
        Assert.Equal((0L, 9, false), (result.BytesFreed, result.LowestPriority, result.TargetMet));
        long freed = 1_000_000 - objects.Value;
        Assert.True(freed > 0);
        Assert.Equal(freed, result.ObjectsFreed);
        Assert.Equal(freed, log.AfterPriorityCalls[^1].Freed);

        // Counted: what the shrinker held when each priority's pass counted it, i.e. before that priority's scans.
        Assert.Equal(1_000_000, log.AfterPriorityCalls[0].Counted);
        for (int i = 1; i < log.AfterPriorityCalls.Count; i++)
        {
            Assert.Equal(1_000_000 - log.AfterPriorityCalls[i - 1].Freed, log.AfterPriorityCalls[i].Counted);
            Assert.True(log.AfterPriorityCalls[i].Freed > log.AfterPriorityCalls[i - 1].Freed, "a lower priority freed nothing more");
        }

    }

    [Fact]
    public void ReclaimUntil_MetBeforeStarting_RunsNothingAndReportsNoPriority()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1_000, out StrongBox<long> objects);
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 0);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.Equal(new ReclaimResult(0, 0, -1, true), result);
        Assert.Empty(log.AfterPriorityCalls);
        Assert.Equal(1_000, objects.Value);
    }

    [Fact]
    public void ReclaimUntil_MetDuringAPriority_StopsAtOnceWithoutTellingAfterPriority()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1_000_000, out StrongBox<long> objects);
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Equal(12, result.LowestPriority); // the gentlest priority sufficed
        Assert.Empty(log.AfterPriorityCalls);
        Assert.Equal(1_000_000 - objects.Value, result.ObjectsFreed);
        Assert.Equal([0L, result.ObjectsFreed], log.IsMetCalls);
    }

    [Fact]
    public void ReclaimUntil_MetAfterAPriority_StopsBeforeTheNext()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1_000_000, out StrongBox<long> objects);

        // Priority 12 frees 384 (three batches of 128 out of 488); 11 frees more. Ask for 500: met after priority 11.
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 500);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Equal(11, result.LowestPriority);
        Assert.Equal([12], log.AfterPriorityCalls.Select(c => c.Priority));
        Assert.Equal(384, log.AfterPriorityCalls[0].Freed);
        Assert.True(result.ObjectsFreed >= 500);
        Assert.Equal(1_000_000 - objects.Value, result.ObjectsFreed);
    }

    [Fact]
    public void ReclaimUntil_GoalCheckedAfterEveryGroup_LaterGroupsAreLeftAlone()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = registry.Root.CreateChild("b");
        var s = new PerGroupShrinker(registry, "s");
        s.Add(a, 1_000_000);
        s.Add(b, 1_000_000);
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Equal(1_000_000, s.ObjectsIn(b)); // b comes after a in pre-order: never reached
        Assert.True(s.ObjectsIn(a) < 1_000_000);
        Assert.Equal(0, s.CountCallsFor(b));
    }

    [Fact]
    public void ReclaimUntil_GroupWithinItsHigh_PassedByInTheFirstSweepAndReclaimedInTheSecond()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 1_000_000);
        a.High = 10_000_000; // usage 1,000,000: within its own budget
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        // First sweep: 12 down to 0 with a passed by (the root has nothing); then a second sweep that includes a.
        Assert.Equal(Enumerable.Range(0, 13).Reverse(), log.AfterPriorityCalls.Select(c => c.Priority));
        Assert.True(result.TargetMet);
        Assert.Equal(0, result.LowestPriority); // the lowest reached over both sweeps, not the second sweep's
        Assert.True(s.ObjectsIn(a) < 1_000_000);
        Assert.Equal(1_000_000 - s.ObjectsIn(a), result.BytesFreed); // bytes uncharged on this thread during the reclaim
    }

    [Fact]
    public void ReclaimUntil_GroupAboveItsHigh_IsNotPassedBy()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 1_000_000);
        a.High = 50; // set after the charge: usage 1,000,000 is above it
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Empty(log.AfterPriorityCalls);
        Assert.Equal(12, result.LowestPriority);
    }

    [Fact]
    public void ReclaimUntil_ScopeWithinItsHigh_IsNeverPassedBy()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 1_000_000);
        a.High = 10_000_000; // within it, but the scope is what reclaim was asked of
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(a, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Equal(12, result.LowestPriority);
        Assert.Empty(log.AfterPriorityCalls);
    }

    [Fact]
    public void ReclaimUntil_NothingPassedByAndNeverMet_EndsAfterOneSweep()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.High = 1_000; // within budget, but holds nothing: passed by, so a second sweep runs
        MemoryGroup b = registry.Root.CreateChild("b");
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(b, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.False(result.TargetMet);
        Assert.Equal(13, log.AfterPriorityCalls.Count); // b's subtree has no protected group: one sweep

        log.AfterPriorityCalls.Clear();
        var rootGoal = new RecordingGoal(log, 1);
        registry.ReclaimUntil(registry.Root, ref rootGoal, 0, TestContext.Current.CancellationToken);
        Assert.Equal(26, log.AfterPriorityCalls.Count); // a was passed by: a second, unprotected sweep, and no third
    }

    [Fact]
    public void ReclaimUntil_Cancelled_ThrowsAndLeavesTheReclaimScope()
    {
        var registry = new ShrinkerRegistry();
        TestShrinkers.Counter(registry, "c", 1_000, out _);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        Assert.Throws<OperationCanceledException>(() => registry.ReclaimUntil(registry.Root, ref goal, 0, cts.Token));

        Assert.False(Reclaim.Internal.ReclaimScope.IsActive);
    }

    [Fact]
    public void ShrinkSlab_CountAboveTheCap_IsCountedAsTheCap()
    {
        const long cap = long.MaxValue / 8;
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("huge");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => long.MaxValue;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        s.Register();
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        registry.ReclaimUntil(registry.Root, ref goal, 12, TestContext.Current.CancellationToken);

        Assert.Equal(cap, log.AfterPriorityCalls.Single().Counted);
        Assert.Equal(long.MaxValue, s.GetStatistics().LastCount); // the statistic keeps what the callback said
    }

    [Fact]
    public void ShrinkSlab_EmptyOrZeroCount_CountsNothingTowardsTheGoal()
    {
        var registry = new ShrinkerRegistry();
        Shrinker empty = registry.Alloc("empty");
        empty.CountObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Empty;
        empty.ScanObjects = (Shrinker _, ref ShrinkControl _) => throw new InvalidOperationException("never scanned");
        empty.Register();
        TestShrinkers.Counter(registry, "c", 10, out _);
        var log = new GoalLog();
        var goal = new RecordingGoal(log, long.MaxValue);

        registry.ReclaimUntil(registry.Root, ref goal, 12, TestContext.Current.CancellationToken);

        Assert.Equal(10, log.AfterPriorityCalls.Single().Counted);
        Assert.Equal(0, empty.GetStatistics().LastCount);
        Assert.Equal(1, empty.GetStatistics().Passes);
    }

    [Fact]
    public void ShrinkSlab_TwoShrinkers_EachIsChargedOnlyTheTimeOfItsOwnCallbacks()
    {
        var time = new FakeTimeProvider();
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { TimeProvider = time });
        Shrinker slow = registry.Alloc("slow");
        slow.CountObjects = (Shrinker _, ref ShrinkControl _) => { time.Advance(TimeSpan.FromMilliseconds(5)); return 0; };
        slow.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        slow.Register();
        Shrinker quick = registry.Alloc("quick");
        quick.CountObjects = (Shrinker _, ref ShrinkControl _) => { time.Advance(TimeSpan.FromMilliseconds(3)); return 0; };
        quick.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        quick.Register();
        time.Advance(TimeSpan.FromSeconds(1000)); // a clock far from 0: a sum instead of a difference would show

        registry.ShrinkSlab(0, null, 0);
        time.Advance(TimeSpan.FromMilliseconds(50)); // between passes: charged to no one
        registry.ShrinkSlab(0, null, 0);

        Assert.Equal(TimeSpan.FromMilliseconds(10), slow.GetStatistics().TimeInCallbacks);
        Assert.Equal(TimeSpan.FromMilliseconds(6), quick.GetStatistics().TimeInCallbacks);
    }

    [Fact]
    public void ShrinkSlab_Statistics_CountPassesScannedAndFreed()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("half");
        long objects = 1_000;
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => objects;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            long freed = sc.NrToScan / 2;
            objects -= freed;
            return freed;
        };
        s.Batch = 100;
        s.Register();

        long freedByPass = registry.ShrinkSlab(0, null, 0); // total_scan = min(4 * 1000 / 2, 2 * 1000) = 2000

        ShrinkerStatistics stats = s.GetStatistics();
        Assert.Equal((1L, 2_000L, 1_000L), (stats.Passes, stats.ObjectsScanned, stats.ObjectsFreed));
        Assert.Equal(1_000, freedByPass);
        Assert.Equal(1_000, stats.LastCount);
        Assert.Equal(0, stats.Deferred);
    }

    [Theory]
    [InlineData(1L, 2L, 3L)]
    [InlineData(long.MaxValue, 1L, long.MaxValue)]
    [InlineData(long.MaxValue - 5, 5L, long.MaxValue)]
    [InlineData(long.MinValue, -1L, long.MinValue)]
    [InlineData(long.MinValue + 5, -6L, long.MinValue)]
    [InlineData(-10L, -20L, -30L)]
    [InlineData(long.MaxValue, long.MinValue, -1L)]
    [InlineData(0L, long.MinValue, long.MinValue)]
    public void SaturatingAdd_StopsAtTheEndOfTheRangeInTheDirectionItOverflowed(long a, long b, long expected)
    {
        Assert.Equal(expected, Reclaim.Internal.Saturating.Add(a, b));
        Assert.Equal(expected, Reclaim.Internal.Saturating.Add(b, a));
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(21L, 42L)]
    [InlineData(long.MaxValue / 2, (long.MaxValue / 2) * 2)]
    [InlineData((long.MaxValue / 2) + 1, long.MaxValue)]
    [InlineData(long.MaxValue, long.MaxValue)]
    public void SaturatingDouble_DoublesUpToTheLargestValue(long a, long expected)
    {
        Assert.Equal(expected, Reclaim.Internal.Saturating.Double(a));
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(5L, 20L)]
    [InlineData(long.MaxValue / 4, (long.MaxValue / 4) * 4)]
    [InlineData((long.MaxValue / 4) + 1, long.MaxValue)]
    public void SaturatingTimes4_MultipliesUpToTheLargestValue(long a, long expected)
    {
        Assert.Equal(expected, Reclaim.Internal.Saturating.Times4(a));
    }

    [Theory]
    [InlineData(-1L, 0L)]
    [InlineData(long.MinValue, 0L)]
    [InlineData(0L, 0L)]
    [InlineData(7L, 7L)]
    public void SaturatingNonNegative_TakesNegativesAsZero(long a, long expected)
    {
        Assert.Equal(expected, Reclaim.Internal.Saturating.NonNegative(a));
    }

    [Fact]
    public void ReclaimUntil_GroupExactlyAtItsHigh_IsWithinBudgetAndPassedByFirst()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        var s = new PerGroupShrinker(registry, "s") { ChargeGroups = true };
        s.Add(a, 1_000_000);
        a.High = 1_000_000; // usage == High: keeping to its budget
        var log = new GoalLog();
        var goal = new RecordingGoal(log, 1);

        ReclaimResult result = registry.ReclaimUntil(registry.Root, ref goal, 0, TestContext.Current.CancellationToken);

        Assert.True(result.TargetMet);
        Assert.Equal(13, log.AfterPriorityCalls.Count); // a full protected sweep before a is touched
    }
}
