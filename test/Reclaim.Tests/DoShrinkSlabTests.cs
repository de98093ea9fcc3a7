using System.Numerics;
using Reclaim.Groups;

namespace Reclaim.Tests;

/// <summary>
/// The per-shrinker arithmetic of one pass (<c>do_shrink_slab</c>, kernel-shrinker.md section 3), checked against an
/// independent reference model written here from the document, and against hand-computed cases for the documented
/// consequences.
/// </summary>
public class DoShrinkSlabTests
{
    /// <summary>How the recording shrinker's scan answers; the same rule feeds the reference model.</summary>
    public enum ScanMode
    {
        /// <summary>Frees what it is asked, leaves NrScanned alone.</summary>
        FreesAll,

        /// <summary>Frees half of what it is asked.</summary>
        FreesHalf,

        /// <summary>Frees nothing but makes progress.</summary>
        FreesNothing,

        /// <summary>Reports looking at about half of what it was asked (at least 1).</summary>
        ScannedHalf,

        /// <summary>Reports looking at twice what it was asked.</summary>
        ScannedDouble,

        /// <summary>Reports looking at exactly one object per call.</summary>
        ScannedOne,

        /// <summary>Second call reports NrScanned 0 (no progress).</summary>
        ScannedZeroOnSecondCall,

        /// <summary>First call reports a negative NrScanned.</summary>
        ScannedNegativeOnFirstCall,

        /// <summary>First call returns Stop.</summary>
        StopsOnFirstCall,

        /// <summary>Third call returns Stop.</summary>
        StopsOnThirdCall,
    }

    private const long MaxFreeable = long.MaxValue / 8;

    // ---------------------------------------------------------------------------------------------------------------
    // Table-driven: the full grid of priorities, seeks and batches against the reference model.
    // ---------------------------------------------------------------------------------------------------------------

    public static TheoryData<int, int, int, long, long> Grid()
    {
        var data = new TheoryData<int, int, int, long, long>();
        for (int priority = 0; priority <= 12; priority++)
        {
            foreach (int seeks in new[] { 0, 1, 2, 8 })
            {
                foreach (int batch in new[] { 0, 1, 64, 1000 })
                {
                    // 50 is below every batch but 1; 5000 above every batch. 6000 deferred exceeds 2 * 50 (the cap).
                    foreach (long count in new[] { 50L, 5000L })
                    {
                        foreach (long deferred in new[] { 0L, 6000L })
                        {
                            data.Add(priority, seeks, batch, count, deferred);
                        }
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ShrinkSlab_GridOfPrioritySeeksBatch_MatchesReferenceModel(int priority, int seeks, int batch, long count, long deferred)
    {
        AssertPassMatchesModel(priority, seeks, batch, count, deferred, ScanMode.FreesAll);
    }

    public static TheoryData<ScanMode, int, int, long> ScanModes()
    {
        var data = new TheoryData<ScanMode, int, int, long>();
        foreach (ScanMode mode in Enum.GetValues<ScanMode>())
        {
            foreach (int priority in new[] { 0, 3, 7, 12 })
            {
                foreach (int batch in new[] { 0, 64 })
                {
                    foreach (long deferred in new[] { 0L, 6000L })
                    {
                        data.Add(mode, priority, batch, deferred);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ScanModes))]
    public void ShrinkSlab_ScanAnswers_MatchesReferenceModel(ScanMode mode, int priority, int batch, long deferred)
    {
        AssertPassMatchesModel(priority, seeks: 2, batch, count: 5000, deferred, mode);
    }

    [Theory]
    [InlineData(ScanMode.FreesAll, 0)]
    [InlineData(ScanMode.StopsOnFirstCall, 0)]
    [InlineData(ScanMode.StopsOnThirdCall, 0)]
    [InlineData(ScanMode.ScannedHalf, 2)]
    [InlineData(ScanMode.ScannedDouble, 1)]
    [InlineData(ScanMode.FreesHalf, 8)]
    public void ShrinkSlab_DirectReclaimPriority12To0_DeferredCarriesAcrossPasses(ScanMode mode, int seeks)
    {
        var registry = new ShrinkerRegistry();
        long count = 3000;
        var recorder = new Recorder(registry, "carry", () => count, Rule(mode), seeks, batch: 100);
        long deferred = 0;

        for (int priority = 12; priority >= 0; priority--)
        {
            // The cache changes size between passes, as a real one does: the model takes each pass's count.
            count = 3000 + (priority * 250);
            Expectation expected = Model(count, deferred, priority, seeks, batch: 100, Rule(mode));

            long freed = registry.ShrinkSlab(0, null, priority);

            Assert.Equal(expected.Requests, recorder.Requests);
            Assert.Equal(expected.Freed, freed);
            Assert.Equal(expected.DeferredAfter, recorder.Shrinker.GetDeferred(0));
            deferred = expected.DeferredAfter;
        }

        Assert.Equal(0, recorder.NrScannedNotPreset);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Hand-computed cases: each pins one documented consequence with literal numbers (they also check the model).
    // ---------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(4095L, 0L)]
    [InlineData(4096L, 2L)] // (4096 >> 12) * 4 / 2 = 2: deferred, but 2 is below batch and below freeable.
    public void ShrinkSlab_Priority12Seeks2FewerThan4096Objects_DoesNotScan(long count, long expectedDeferred)
    {
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "small", () => count, Rule(ScanMode.FreesAll));

        long freed = registry.ShrinkSlab(0, null, ShrinkerRegistry.DefaultPriority);

        Assert.Empty(recorder.Requests);
        Assert.Equal(1, recorder.CountCalls);
        Assert.Equal(0, freed);
        Assert.Equal(expectedDeferred, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_Priority0Seeks1_AsksForTwiceFreeable()
    {
        // delta = 1000 * 4 / 1 = 4000; total_scan = min(4000, 2 * 1000) = 2000; next = min(4000 - 2000, 2000) = 2000.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "p0", () => 1000, Rule(ScanMode.FreesAll), seeks: 1, batch: 1000);

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal([1000L, 1000L], recorder.Requests);
        Assert.Equal(2000, freed);
        Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_Priority0DefaultSeeksAndBatch_Asks15BatchesAndDefersRemainder()
    {
        // delta = 1000 * 4 / 2 = 2000 = total_scan; 15 batches of 128 = 1920; 80 is below batch and below freeable.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "p0-default", () => 1000, Rule(ScanMode.FreesAll));

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal(Enumerable.Repeat(128L, 15), recorder.Requests);
        Assert.Equal(1920, freed);
        Assert.Equal(80, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_Seeks0Priority12_AsksForHalfTheObjects()
    {
        // delta = 1000 / 2 = 500 whatever the priority; 3 batches of 128 = 384; 116 deferred.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "seeks0", () => 1000, Rule(ScanMode.FreesAll), seeks: 0);

        long freed = registry.ShrinkSlab(0, null, 12);

        Assert.Equal([128L, 128L, 128L], recorder.Requests);
        Assert.Equal(384, freed);
        Assert.Equal(116, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_SmallCacheBelowBatchAtPriority1_IsEmptied()
    {
        // delta = (100 >> 1) * 4 / 2 = 100 >= freeable: one call for all 100, although 100 < batch 128.
        var registry = new ShrinkerRegistry();
        long objects = 100;
        var recorder = new Recorder(
            registry,
            "tiny",
            () => objects,
            (_, n) =>
            {
                long taken = Math.Min(n, objects);
                objects -= taken;
                return new ScanReply(taken);
            });

        long freed = registry.ShrinkSlab(0, null, 1);

        Assert.Equal([100L], recorder.Requests);
        Assert.Equal(100, freed);
        Assert.Equal(0, objects);
        Assert.Equal(0, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_SmallCacheBelowBatchAtPriority2_IsNotScannedButDeferred()
    {
        // delta = (100 >> 2) * 4 / 2 = 50: below batch and below freeable, so deferred.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "tiny", () => 100, Rule(ScanMode.FreesAll));

        long freed = registry.ShrinkSlab(0, null, 2);

        Assert.Empty(recorder.Requests);
        Assert.Equal(0, freed);
        Assert.Equal(50, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_DeferredWork_IsRepaidAsNrShiftedByPriority()
    {
        // nr = 8192, priority 4: nr >> 4 = 512; delta = (10000 >> 4) * 4 / 2 = 1250; total_scan = 1762;
        // 13 batches of 128 = 1664; next = 8192 + 1250 - 1664 = 7778.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "repay", () => 10_000, Rule(ScanMode.FreesAll));
        recorder.Shrinker.AddDeferred(0, 8192);

        long freed = registry.ShrinkSlab(0, null, 4);

        Assert.Equal(Enumerable.Repeat(128L, 13), recorder.Requests);
        Assert.Equal(1664, freed);
        Assert.Equal(7778, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_ScanAlwaysStops_DeferredNeverExceedsTwiceFreeable()
    {
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "stuck", () => 1000, Rule(ScanMode.StopsOnFirstCall));

        for (int pass = 0; pass < 10; pass++)
        {
            long freed = registry.ShrinkSlab(0, null, 0);

            Assert.Equal([128L], recorder.Requests);
            Assert.Equal(0, freed);
            Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));
        }
    }

    [Fact]
    public void ShrinkSlab_CacheShrankBelowDeferred_DeferredCappedAtTwiceNewFreeable()
    {
        // Deferred 2000 built while the cache had 1000 objects; now it has 10. total_scan = min(2000 + 20, 20) = 20
        // (the total_scan cap), so 10 + 10 (the second clause, total_scan >= freeable); next = min(2020 - 20, 20) = 20.
        var registry = new ShrinkerRegistry();
        long count = 1000;
        var recorder = new Recorder(registry, "shrunk", () => count, Rule(ScanMode.StopsOnFirstCall), batch: 10);
        registry.ShrinkSlab(0, null, 0);
        Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));

        count = 10;
        recorder.Rule = Rule(ScanMode.FreesAll);
        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal([10L, 10L], recorder.Requests);
        Assert.Equal(20, freed);
        Assert.Equal(20, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_NrScannedSmallerThanAsked_AsksAgainUntilWorkDone()
    {
        // total_scan = 2000 at priority 0; each call is charged 64 of its 128: 2000 -> ... while >= 128.
        // 29 calls charge 1856, leaving 144 >= 128 -> a 30th call; 80 left < 128 -> done. next = 2000 - 1920 = 80.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "half", () => 1000, Rule(ScanMode.ScannedHalf));

        registry.ShrinkSlab(0, null, 0);

        Assert.Equal(Enumerable.Repeat(128L, 30), recorder.Requests);
        Assert.Equal(80, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(1920, recorder.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void ShrinkSlab_NrScannedLargerThanAsked_StopsEarlierAndChargesWhatWasScanned()
    {
        // Each call of 128 is charged 256: 2000 - 7 * 256 = 208 >= 128 -> 8th call; -48 -> done.
        // next = clamp(2000 - 2048, 0, 2000) = 0.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "double", () => 1000, Rule(ScanMode.ScannedDouble));

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal(Enumerable.Repeat(128L, 8), recorder.Requests);
        Assert.Equal(8 * 128, freed);
        Assert.Equal(0, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(2048, recorder.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void ShrinkSlab_ScanTakesTotalScanAtOnce_OneCallChargedWithAllTheWork()
    {
        // nr = 8192, priority 4: total_scan = 512 + 1250 = 1762, seen whole by the first call (NrToScan one batch, 128).
        // The scan looks at all of it and says so: no second call; next = 8192 + 1250 - 1762 = 7680, as if 14 batches ran.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "whole", () => 10_000, (_, _) => new ScanReply(1762, 1762));
        recorder.Shrinker.AddDeferred(0, 8192);

        long freed = registry.ShrinkSlab(0, null, 4);

        Assert.Equal([128L], recorder.Requests);
        Assert.Equal([1762L], recorder.TotalScans);
        Assert.Equal(1762, freed);
        Assert.Equal(7680, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(1762, recorder.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void ShrinkSlab_BatchedScans_TotalScanCountsDownByWhatEachCallScanned()
    {
        // total_scan = 2000 at priority 0, 128 a call: each call sees what is left, its own batch included.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "countdown", () => 1000, Rule(ScanMode.FreesAll));

        registry.ShrinkSlab(0, null, 0);

        Assert.Equal(Enumerable.Range(0, 15).Select(i => 2000L - (128L * i)), recorder.TotalScans);
    }

    [Fact]
    public void ShrinkSlab_StopInTheMiddle_EndsLoopAndDefersTheRest()
    {
        // Two calls of 128 done, the third stops: freed 256, next = 2000 - 256 = 1744.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "stop3", () => 1000, Rule(ScanMode.StopsOnThirdCall));

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal([128L, 128L, 128L], recorder.Requests);
        Assert.Equal(256, freed);
        Assert.Equal(1744, recorder.Shrinker.GetDeferred(0));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    [InlineData(long.MinValue)]
    public void ShrinkSlab_NrScannedNotPositive_EndsThisShrinkersLoop(long nrScanned)
    {
        // The kernel would subtract 0 and ask again forever; the library ends the loop. The call's result still counts.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "no-progress", () => 1000, (_, n) => new ScanReply(7, nrScanned));

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal([128L], recorder.Requests);
        Assert.Equal(7, freed);
        Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(0, recorder.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void ShrinkSlab_CountReturnsEmpty_NoScanDeferredUntouchedAndCountsAsZero()
    {
        var registry = new ShrinkerRegistry();
        var empty = new Recorder(registry, "empty", () => Shrinker.Empty, Rule(ScanMode.FreesAll));
        var other = new Recorder(registry, "other", () => 1000, Rule(ScanMode.FreesAll), batch: 1000);
        empty.Shrinker.AddDeferred(0, 300);

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Empty(empty.Requests);
        Assert.Equal(1, empty.CountCalls);
        Assert.Equal(300, empty.Shrinker.GetDeferred(0));
        Assert.Equal([1000L, 1000L], other.Requests);
        Assert.Equal(2000, freed);
    }

    [Fact]
    public void DoShrinkSlab_CountReturnsEmpty_ReturnsEmpty()
    {
        var registry = new ShrinkerRegistry();
        var empty = new Recorder(registry, "empty", () => Shrinker.Empty, Rule(ScanMode.FreesAll));

        long now = 0;
        long result = registry.DoShrinkSlab(empty.Shrinker, 0, registry.Root, 0, ref now);

        Assert.Equal(Shrinker.Empty, result);
        Assert.Empty(empty.Requests);
    }

    [Fact]
    public void ShrinkSlab_CountReturnsZero_NoScanAndDeferredUntouched()
    {
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "zero", () => 0, Rule(ScanMode.FreesAll));
        recorder.Shrinker.AddDeferred(0, 300);

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Empty(recorder.Requests);
        Assert.Equal(0, freed);
        Assert.Equal(300, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(1, recorder.Shrinker.GetStatistics().Passes);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Overflow: counts are saturated, never wrapped.
    // ---------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(long.MaxValue, 1)]
    [InlineData(long.MaxValue, 0)]
    [InlineData(long.MaxValue / 4, 1)]
    [InlineData((long.MaxValue / 8) + 1, 2)]
    public void ShrinkSlab_CountAboveMaxOverEight_SaturatesWithoutOverflow(long count, int seeks)
    {
        // Counts above long.MaxValue / 8 are taken as long.MaxValue / 8, so 4 * freeable and 2 * freeable + deferred
        // stay in range. The scan stops at once: otherwise the pass would ask for 2^61 objects.
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "huge", () => count, Rule(ScanMode.StopsOnFirstCall), seeks);
        long deferred = 0;

        for (int pass = 0; pass < 3; pass++)
        {
            Expectation expected = Model(count, deferred, 0, seeks, 0, Rule(ScanMode.StopsOnFirstCall));

            long freed = registry.ShrinkSlab(0, null, 0);

            Assert.Equal([128L], recorder.Requests);
            Assert.Equal(0, freed);
            Assert.Equal(expected.DeferredAfter, recorder.Shrinker.GetDeferred(0));
            Assert.InRange(recorder.Shrinker.GetDeferred(0), 0, 2 * MaxFreeable);
            deferred = expected.DeferredAfter;
        }

        // seeks 1 gives delta 4F > 2F, seeks 0 gives F / 2: the first pass defers min(delta, 2F) and later passes add.
        Assert.Equal(seeks == 0 ? 3 * (MaxFreeable / 2) : 2 * MaxFreeable, deferred);
    }

    [Fact]
    public void ShrinkSlab_ScanResultsSumAboveLongMax_FreedSaturates()
    {
        var registry = new ShrinkerRegistry();
        var first = new Recorder(registry, "big1", () => 1000, (_, _) => new ScanReply(long.MaxValue), batch: 1000);
        var second = new Recorder(registry, "big2", () => 1000, (_, _) => new ScanReply(long.MaxValue), batch: 1000);

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal(long.MaxValue, freed);
        Assert.Equal(2, first.Requests.Count);
        Assert.Equal(2, second.Requests.Count);
        Assert.Equal(long.MaxValue, first.Shrinker.GetStatistics().ObjectsFreed);
    }

    [Fact]
    public void ShrinkSlab_NrScannedHuge_TotalScanDoesNotWrap()
    {
        // A scan that claims long.MaxValue scanned must end the loop (total_scan goes negative, not around).
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "liar", () => 1000, (_, _) => new ScanReply(1, long.MaxValue));

        long freed = registry.ShrinkSlab(0, null, 0);

        Assert.Equal([128L], recorder.Requests);
        Assert.Equal(1, freed);
        Assert.Equal(0, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(long.MaxValue, recorder.Shrinker.GetStatistics().ObjectsScanned);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Nodes.
    // ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public void ShrinkSlab_NodeAwareShrinker_KeepsDeferredPerNode()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var recorder = new Recorder(registry, "numa", () => 1000, Rule(ScanMode.StopsOnFirstCall), flags: ShrinkerFlags.NodeAware);

        registry.ShrinkSlab(0, null, 0); // node 0: defers 2000
        Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(0, recorder.Shrinker.GetDeferred(1));

        recorder.Rule = Rule(ScanMode.FreesAll);
        long freed = registry.ShrinkSlab(1, null, 4);

        // Node 1 starts from 0 deferred (node 0's 2000 would have added 2000 >> 4 = 125 to total_scan):
        // delta = (1000 >> 4) * 4 / 2 = 124, below batch and freeable: no scan.
        Assert.Empty(recorder.Requests);
        Assert.Equal(0, freed);
        Assert.Equal([0, 1], recorder.CountNodes);
        Assert.Equal(2000, recorder.Shrinker.GetDeferred(0));
        Assert.Equal(124, recorder.Shrinker.GetDeferred(1));
        Assert.Equal(2124, recorder.Shrinker.GetStatistics().Deferred);
    }

    [Fact]
    public void ShrinkSlab_NodeAwareShrinker_ScanSeesPassNode()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var recorder = new Recorder(registry, "numa", () => 1000, Rule(ScanMode.FreesAll), batch: 1000, flags: ShrinkerFlags.NodeAware);

        registry.ShrinkSlab(1, null, 0);

        Assert.Equal([1], recorder.CountNodes);
        Assert.Equal([1, 1], recorder.ScanNodes);
    }

    [Fact]
    public void ShrinkSlab_NonNodeAwareShrinkerOnNode1_CalledWithNode0AndDefersOnNode0()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var recorder = new Recorder(registry, "flat", () => 1000, Rule(ScanMode.StopsOnThirdCall));

        long freed = registry.ShrinkSlab(1, null, 0);

        Assert.Equal([0], recorder.CountNodes);
        Assert.Equal([0, 0, 0], recorder.ScanNodes);
        Assert.Equal(256, freed);
        Assert.Equal(1744, recorder.Shrinker.GetDeferred(0));
    }

    [Fact]
    public void ShrinkSlab_RootPass_CallbacksSeeRootGroup()
    {
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "root", () => 1000, Rule(ScanMode.FreesAll), batch: 1000);

        registry.ShrinkSlab(0, null, 0);

        Assert.Equal(3, recorder.Groups.Count); // one count, two scans
        Assert.All(recorder.Groups, g => Assert.Same(registry.Root, g));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The reference model and the recording shrinker.
    // ---------------------------------------------------------------------------------------------------------------

    private static void AssertPassMatchesModel(int priority, int seeks, int batch, long count, long deferred, ScanMode mode)
    {
        var registry = new ShrinkerRegistry();
        var recorder = new Recorder(registry, "model", () => count, Rule(mode), seeks, batch);
        if (deferred != 0)
        {
            recorder.Shrinker.AddDeferred(0, deferred);
        }

        Expectation expected = Model(count, deferred, priority, seeks, batch, Rule(mode));

        long freed = registry.ShrinkSlab(0, null, priority);

        Assert.Equal(expected.Requests, recorder.Requests);
        Assert.Equal(expected.TotalScans, recorder.TotalScans);
        Assert.Equal(expected.Freed, freed);
        Assert.Equal(expected.DeferredAfter, recorder.Shrinker.GetDeferred(0));
        Assert.InRange(recorder.Shrinker.GetDeferred(0), 0, 2 * Math.Min(count, MaxFreeable));
        Assert.Equal(0, recorder.NrScannedNotPreset);
    }

    private static Func<int, long, ScanReply> Rule(ScanMode mode) => (call, n) => mode switch
    {
        ScanMode.FreesAll => new ScanReply(n),
        ScanMode.FreesHalf => new ScanReply(n / 2),
        ScanMode.FreesNothing => new ScanReply(0),
        ScanMode.ScannedHalf => new ScanReply(n, Math.Max(1, n / 2)),
        ScanMode.ScannedDouble => new ScanReply(n, n * 2),
        ScanMode.ScannedOne => new ScanReply(n, 1),
        ScanMode.ScannedZeroOnSecondCall => new ScanReply(n, call == 1 ? 0 : null),
        ScanMode.ScannedNegativeOnFirstCall => new ScanReply(n, call == 0 ? -5 : null),
        ScanMode.StopsOnFirstCall => new ScanReply(Shrinker.Stop),
        ScanMode.StopsOnThirdCall => new ScanReply(call == 2 ? Shrinker.Stop : n),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>
    /// kernel-shrinker.md section 3, in unbounded integers, plus the library's two documented rules: counts above
    /// long.MaxValue / 8 are taken as that, and an NrScanned of 0 or less ends the loop. Freed saturates at long.MaxValue.
    /// </summary>
    private static Expectation Model(long count, long deferred, int priority, int seeks, int batch, Func<int, long, ScanReply> scan)
    {
        // 1. Nothing to do: no scan, deferred untouched; EMPTY counts as 0 freed in a pass.
        if (count == 0 || count == Shrinker.Empty)
        {
            return new Expectation([], [], 0, deferred);
        }

        BigInteger freeable = Math.Min(count, MaxFreeable);

        // 2. Take the deferred work.
        BigInteger nr = deferred;

        // 3. delta.
        BigInteger delta = seeks == 0 ? freeable / 2 : (freeable >> priority) * 4 / seeks;

        // 4. total_scan.
        BigInteger total = BigInteger.Min((nr >> priority) + delta, 2 * freeable);

        // 5. The loop.
        BigInteger effectiveBatch = batch == 0 ? 128 : batch;
        BigInteger scanned = 0;
        BigInteger freed = 0;
        var requests = new List<long>();
        var totals = new List<long>();
        int call = 0;
        while (total >= effectiveBatch || total >= freeable)
        {
            long nrToScan = (long)BigInteger.Min(effectiveBatch, total);
            requests.Add(nrToScan);
            totals.Add((long)total);
            ScanReply reply = scan(call++, nrToScan);
            if (reply.Result == Shrinker.Stop)
            {
                break;
            }

            freed += reply.Result;
            long nrScanned = reply.NrScanned ?? nrToScan;
            if (nrScanned <= 0)
            {
                break;
            }

            total -= nrScanned;
            scanned += nrScanned;
        }

        // 6. next_deferred.
        BigInteger next = BigInteger.Max(0, BigInteger.Min(nr + delta - scanned, 2 * freeable));
        return new Expectation(requests, totals, (long)BigInteger.Min(freed, long.MaxValue), (long)next);
    }

    /// <summary>What a pass should do: each scan's NrToScan and the TotalScan it sees, the freed sum, the deferred work after.</summary>
    private sealed record Expectation(List<long> Requests, List<long> TotalScans, long Freed, long DeferredAfter);

    private readonly record struct ScanReply(long Result, long? NrScanned = null);

    /// <summary>A registered shrinker whose callbacks log what they were asked. Requests are those of the last pass.</summary>
    private sealed class Recorder
    {
        private const int MaxRequestsPerPass = 1_000_000;

        private int _call;

        public Recorder(
            ShrinkerRegistry registry,
            string name,
            Func<long> count,
            Func<int, long, ScanReply> rule,
            int seeks = Shrinker.DefaultSeeks,
            int batch = 0,
            ShrinkerFlags flags = ShrinkerFlags.None)
        {
            Rule = rule;
            Shrinker = registry.Alloc(name, flags);
            Shrinker.Seeks = seeks;
            Shrinker.Batch = batch;
            Shrinker.CountObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                // One count per pass, before any scan: start this pass's log.
                CountCalls++;
                CountNodes.Add(sc.Node);
                Groups.Add(sc.Group);
                Requests.Clear();
                TotalScans.Clear();
                _call = 0;
                return count();
            };
            Shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                if (Requests.Count == MaxRequestsPerPass)
                {
                    // A pass that never ends (a loop that makes no progress) is stopped here so the test fails
                    // instead of hanging: the model never asks this many.
                    return Shrinker.Stop;
                }

                Requests.Add(sc.NrToScan);
                TotalScans.Add(sc.TotalScan);
                ScanNodes.Add(sc.Node);
                Groups.Add(sc.Group);
                if (sc.NrScanned != sc.NrToScan)
                {
                    NrScannedNotPreset++; // asserting here would be swallowed: the pass catches callback exceptions
                }

                ScanReply reply = Rule(_call++, sc.NrToScan);
                if (reply.NrScanned is long scanned)
                {
                    sc.NrScanned = scanned;
                }

                return reply.Result;
            };
            Shrinker.Register();
        }

        public Shrinker Shrinker { get; }

        public Func<int, long, ScanReply> Rule { get; set; }

        public List<long> Requests { get; } = [];

        /// <summary>The <see cref="ShrinkControl.TotalScan"/> each scan of the last pass saw.</summary>
        public List<long> TotalScans { get; } = [];

        public List<int> CountNodes { get; } = [];

        public List<int> ScanNodes { get; } = [];

        public List<MemoryGroup?> Groups { get; } = [];

        public int CountCalls { get; private set; }

        /// <summary>Scan calls whose NrScanned did not start equal to NrToScan (the pass must preset it).</summary>
        public int NrScannedNotPreset { get; private set; }
    }
}
