using System.Collections.Concurrent;
using Reclaim.Internal;

namespace Reclaim.Tests;

/// <summary>
/// Callbacks that throw or answer outside the contract: the pass goes on with the other shrinkers, the fault is
/// counted in the statistics and reported through <see cref="ShrinkerRegistry.Diagnostics"/>, and deferred work stays
/// what the arithmetic says.
/// </summary>
/// <remarks>
/// Every scenario uses the same pass: priority 2, three shrinkers of 1000 objects, seeks 2, batch 100, so each is asked
/// for delta = (1000 &gt;&gt; 2) * 4 / 2 = 500 objects. The healthy ones ("before" and "after" the faulty one) are
/// asked for 5 x 100 and free 500 each. The faulty one starts with 300 deferred: total_scan = (300 &gt;&gt; 2) + 500 = 575.
/// </remarks>
public class ShrinkSlabFaultTests
{
    private const int Priority = 2;
    private const long SeededDeferred = 300;
    private const long HealthyFreed = 500;

    // Deferred after a pass where the faulty shrinker's scan did k calls of 100 before failing: 300 + 500 - 100 * k.
    private const long DeferredAfterFailingFirstScan = 800;
    private const long DeferredAfterFailingThirdScan = 600;

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(OperationCanceledException))]
    [InlineData(typeof(NullReferenceException))]
    public void ShrinkSlab_CountThrows_OthersRunErrorCountedDeferredUntouched(Type exceptionType)
    {
        var exception = (Exception)Activator.CreateInstance(exceptionType)!;
        using var fixture = new Fixture(count: () => throw exception, scan: (_, n) => n);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal(2 * HealthyFreed, freed);
        fixture.AssertHealthyRan();
        Assert.Empty(fixture.FaultyRequests);
        Assert.Equal(SeededDeferred, fixture.Faulty.GetDeferred(0));

        ShrinkerStatistics stats = fixture.Faulty.GetStatistics();
        Assert.Equal(1, stats.CallbackErrors);
        Assert.Equal(0, stats.ContractViolations);
        Assert.Equal(1, stats.Passes);
        Assert.Equal(0, stats.ObjectsScanned);
        Assert.Equal(0, stats.ObjectsFreed);

        Report report = Assert.Single(fixture.Diagnostics.Reports);
        Assert.Same(fixture.Faulty, report.Shrinker);
        Assert.Equal(ShrinkerCallbackKind.Count, report.Kind);
        Assert.Same(exception, report.Exception);
        fixture.AssertHealthyHaveNoFaults();
    }

    [Fact]
    public void ShrinkSlab_ScanThrowsOnFirstCall_TakenAsStopAndAllWorkDeferred()
    {
        var exception = new InvalidOperationException("scan failed");
        using var fixture = new Fixture(count: () => 1000, scan: (_, _) => throw exception);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal(2 * HealthyFreed, freed);
        fixture.AssertHealthyRan();
        Assert.Equal([100L], fixture.FaultyRequests);
        Assert.Equal(DeferredAfterFailingFirstScan, fixture.Faulty.GetDeferred(0));

        ShrinkerStatistics stats = fixture.Faulty.GetStatistics();
        Assert.Equal(1, stats.CallbackErrors);
        Assert.Equal(0, stats.ContractViolations);
        Assert.Equal(0, stats.ObjectsScanned);

        Report report = Assert.Single(fixture.Diagnostics.Reports);
        Assert.Same(fixture.Faulty, report.Shrinker);
        Assert.Equal(ShrinkerCallbackKind.Scan, report.Kind);
        Assert.Same(exception, report.Exception);
        fixture.AssertHealthyHaveNoFaults();
    }

    [Fact]
    public void ShrinkSlab_ScanThrowsOnThirdCall_EarlierWorkCountedRestDeferred()
    {
        var exception = new InvalidOperationException("scan failed late");
        using var fixture = new Fixture(count: () => 1000, scan: (call, n) => call == 2 ? throw exception : n);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal((2 * HealthyFreed) + 200, freed);
        fixture.AssertHealthyRan();
        Assert.Equal([100L, 100L, 100L], fixture.FaultyRequests);
        Assert.Equal(DeferredAfterFailingThirdScan, fixture.Faulty.GetDeferred(0));

        ShrinkerStatistics stats = fixture.Faulty.GetStatistics();
        Assert.Equal(1, stats.CallbackErrors);
        Assert.Equal(200, stats.ObjectsScanned);
        Assert.Equal(200, stats.ObjectsFreed);

        Report report = Assert.Single(fixture.Diagnostics.Reports);
        Assert.Equal(ShrinkerCallbackKind.Scan, report.Kind);
        Assert.Same(exception, report.Exception);
    }

    [Theory]
    [InlineData(Shrinker.Stop)]
    [InlineData(-3L)]
    [InlineData(long.MinValue)]
    public void ShrinkSlab_CountNegativeOtherThanEmpty_ViolationCountedTakenAsZero(long count)
    {
        using var fixture = new Fixture(count: () => count, scan: (_, n) => n);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal(2 * HealthyFreed, freed);
        fixture.AssertHealthyRan();
        Assert.Empty(fixture.FaultyRequests);
        Assert.Equal(SeededDeferred, fixture.Faulty.GetDeferred(0));

        ShrinkerStatistics stats = fixture.Faulty.GetStatistics();
        Assert.Equal(0, stats.CallbackErrors);
        Assert.Equal(1, stats.ContractViolations);

        Report report = Assert.Single(fixture.Diagnostics.Reports);
        Assert.Same(fixture.Faulty, report.Shrinker);
        Assert.Equal(ShrinkerCallbackKind.Count, report.Kind);
        Assert.Null(report.Exception);
        Assert.Equal(count, report.Value);
        fixture.AssertHealthyHaveNoFaults();
    }

    [Fact]
    public void ShrinkSlab_CountReturnsEmpty_IsNotAViolation()
    {
        using var fixture = new Fixture(count: () => Shrinker.Empty, scan: (_, n) => n);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal(2 * HealthyFreed, freed);
        Assert.Equal(SeededDeferred, fixture.Faulty.GetDeferred(0));
        Assert.Equal(0, fixture.Faulty.GetStatistics().ContractViolations);
        Assert.Empty(fixture.Diagnostics.Reports);
    }

    [Theory]
    [InlineData(Shrinker.Empty, 0)]
    [InlineData(-7L, 0)]
    [InlineData(long.MinValue, 0)]
    [InlineData(Shrinker.Empty, 2)]
    [InlineData(-7L, 2)]
    public void ShrinkSlab_ScanNegativeOtherThanStop_ViolationCountedTakenAsStop(long result, int onCall)
    {
        using var fixture = new Fixture(count: () => 1000, scan: (call, n) => call == onCall ? result : n);

        long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

        long faultyFreed = 100L * onCall;
        Assert.Equal((2 * HealthyFreed) + faultyFreed, freed);
        fixture.AssertHealthyRan();
        Assert.Equal(Enumerable.Repeat(100L, onCall + 1), fixture.FaultyRequests);
        Assert.Equal(onCall == 0 ? DeferredAfterFailingFirstScan : DeferredAfterFailingThirdScan, fixture.Faulty.GetDeferred(0));

        ShrinkerStatistics stats = fixture.Faulty.GetStatistics();
        Assert.Equal(0, stats.CallbackErrors);
        Assert.Equal(1, stats.ContractViolations);
        Assert.Equal(faultyFreed, stats.ObjectsFreed);
        Assert.Equal(faultyFreed, stats.ObjectsScanned);

        Report report = Assert.Single(fixture.Diagnostics.Reports);
        Assert.Same(fixture.Faulty, report.Shrinker);
        Assert.Equal(ShrinkerCallbackKind.Scan, report.Kind);
        Assert.Equal(result, report.Value);
        fixture.AssertHealthyHaveNoFaults();
    }

    [Fact]
    public void ShrinkSlab_ScanReturnsStop_IsNotAViolation()
    {
        using var fixture = new Fixture(count: () => 1000, scan: (_, _) => Shrinker.Stop);

        fixture.Registry.ShrinkSlab(0, null, Priority);

        Assert.Equal([100L], fixture.FaultyRequests);
        Assert.Equal(DeferredAfterFailingFirstScan, fixture.Faulty.GetDeferred(0));
        Assert.Equal(0, fixture.Faulty.GetStatistics().ContractViolations);
        Assert.Empty(fixture.Diagnostics.Reports);
    }

    [Fact]
    public void ShrinkSlab_FaultEveryPass_CountedEveryPassAndDeferredStaysCapped()
    {
        // Scan always throws: pass 1 defers 800; pass 2: nr 800, total_scan = 200 + 500 = 700, defers
        // min(800 + 500, 2000) = 1300; pass 3: 1300 + 500 = 1800; pass 4: min(2300, 2000) = 2000; pass 5: 2000.
        using var fixture = new Fixture(count: () => 1000, scan: (_, _) => throw new InvalidOperationException("always"));
        long[] expectedDeferred = [800, 1300, 1800, 2000, 2000];

        for (int pass = 0; pass < expectedDeferred.Length; pass++)
        {
            long freed = fixture.Registry.ShrinkSlab(0, null, Priority);

            Assert.Equal(2 * HealthyFreed, freed);
            Assert.Equal(expectedDeferred[pass], fixture.Faulty.GetDeferred(0));
        }

        Assert.Equal(expectedDeferred.Length, fixture.Faulty.GetStatistics().CallbackErrors);
        Assert.Equal(expectedDeferred.Length, fixture.Diagnostics.Reports.Count);
        Assert.Equal(2 * expectedDeferred.Length * HealthyFreed, fixture.Before.GetStatistics().ObjectsFreed + fixture.After.GetStatistics().ObjectsFreed);
    }

    [Fact]
    public void DropCaches_CallbackThrows_DoesNotThrowAndOthersAreDropped()
    {
        using var fixture = new Fixture(count: () => throw new InvalidOperationException("count failed"), scan: (_, n) => n);

        long freed = fixture.Registry.DropCaches(TestContext.Current.CancellationToken);

        // At priority 0 each healthy shrinker is asked for min(2000, 2 * 1000) = 2000 per round; 4000 per round
        // keeps the doubling rule going while 4000 >> shift > 1: 12 rounds (shift 0..11).
        Assert.Equal(12 * 4000, freed);
        Assert.Equal(12, fixture.Faulty.GetStatistics().CallbackErrors);
        Assert.Equal(12, fixture.Diagnostics.Reports.Count);
    }

    private sealed record Report(Shrinker Shrinker, ShrinkerCallbackKind Kind, Exception? Exception, long Value);

    private sealed class RecordingDiagnostics : ReclaimDiagnostics
    {
        public ConcurrentQueue<Report> Reports { get; } = new();

        public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception) =>
            Reports.Enqueue(new Report(shrinker, kind, exception, 0));

        public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value) =>
            Reports.Enqueue(new Report(shrinker, kind, null, value));
    }

    /// <summary>Healthy, faulty, healthy, registered in that order on one registry with a recording diagnostics hook.</summary>
    private sealed class Fixture : IDisposable
    {
        private int _call;

        public Fixture(Func<long> count, Func<int, long, long> scan)
        {
            Registry = new ShrinkerRegistry { Diagnostics = Diagnostics };
            Before = Healthy("before");
            Faulty = Registry.Alloc("faulty");
            Faulty.Batch = 100;
            Faulty.CountObjects = (Shrinker _, ref ShrinkControl _) =>
            {
                _call = 0;
                FaultyRequests.Clear();
                return count();
            };
            Faulty.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                FaultyRequests.Add(sc.NrToScan);
                return scan(_call++, sc.NrToScan);
            };
            Faulty.Register();
            Faulty.AddDeferred(0, SeededDeferred);
            After = Healthy("after");
        }

        public ShrinkerRegistry Registry { get; }

        public RecordingDiagnostics Diagnostics { get; } = new();

        public Shrinker Before { get; }

        public Shrinker Faulty { get; }

        public Shrinker After { get; }

        public List<long> FaultyRequests { get; } = [];

        public List<long> BeforeRequests { get; } = [];

        public List<long> AfterRequests { get; } = [];

        public void AssertHealthyRan()
        {
            Assert.Equal([100L, 100L, 100L, 100L, 100L], BeforeRequests);
            Assert.Equal([100L, 100L, 100L, 100L, 100L], AfterRequests);
            Assert.Equal(0, Before.GetDeferred(0));
            Assert.Equal(0, After.GetDeferred(0));
        }

        public void AssertHealthyHaveNoFaults()
        {
            Assert.DoesNotContain(Diagnostics.Reports, r => r.Shrinker != Faulty);
            foreach (Shrinker healthy in new[] { Before, After })
            {
                ShrinkerStatistics stats = healthy.GetStatistics();
                Assert.Equal(0, stats.CallbackErrors);
                Assert.Equal(0, stats.ContractViolations);
                Assert.Equal(HealthyFreed, stats.ObjectsFreed);
            }
        }

        public void Dispose()
        {
            Before.Free();
            Faulty.Free();
            After.Free();
        }

        private Shrinker Healthy(string name)
        {
            List<long> log = name == "before" ? BeforeRequests : AfterRequests;
            Shrinker s = Registry.Alloc(name);
            s.Batch = 100;
            s.CountObjects = (Shrinker _, ref ShrinkControl _) =>
            {
                log.Clear();
                return 1000;
            };
            s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                log.Add(sc.NrToScan);
                return sc.NrToScan;
            };
            s.Register();
            return s;
        }
    }
}
