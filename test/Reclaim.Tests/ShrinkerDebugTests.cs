using System.Collections.Concurrent;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Tests;

/// <summary>
/// <see cref="Shrinker.DebugCount(int, MemoryGroup?)"/> and <see cref="Shrinker.DebugScan(int, MemoryGroup?, long)"/>:
/// the kernel's debugfs <c>count</c> and <c>scan</c> files. One direct call with exactly what was asked (no count before
/// a scan, no batching, no deferred work), run as a pass runs a callback: under a reference, faults caught and counted.
/// </summary>
public class ShrinkerDebugTests
{
    [Fact]
    public void DebugCount_NotNodeOrGroupAware_CalledWithNodeZeroAndRoot()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        using var probe = new Probe(registry, ShrinkerFlags.None, count: 7);

        Assert.Equal(7, probe.Shrinker.DebugCount(1, null));

        ShrinkControl seen = Assert.Single(probe.Counts);
        Assert.Equal(0, seen.Node);
        Assert.Same(registry.Root, seen.Group);
        Assert.Equal(0, seen.NrToScan);
        Assert.Empty(probe.Scans);
        Assert.Equal(0, probe.Shrinker.GetStatistics().Passes);
    }

    [Fact]
    public void DebugCount_NodeAndGroupAware_CalledWithThatNodeAndGroup()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        using var probe = new Probe(registry, ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware, count: 5);

        Assert.Equal(5, probe.Shrinker.DebugCount(1, tenant));
        Assert.Equal(5, probe.Shrinker.DebugCount(0, null));

        Assert.Equal(1, probe.Counts[0].Node);
        Assert.Same(tenant, probe.Counts[0].Group);
        Assert.Equal(0, probe.Counts[1].Node);
        Assert.Same(registry.Root, probe.Counts[1].Group);
    }

    [Fact]
    public void DebugCount_Empty_ReturnedAsIs()
    {
        using var probe = new Probe(new ShrinkerRegistry(), ShrinkerFlags.None, count: Shrinker.Empty);

        Assert.Equal(Shrinker.Empty, probe.Shrinker.DebugCount(0, null));
        Assert.Equal(0, probe.Shrinker.GetStatistics().ContractViolations);
    }

    [Fact]
    public void DebugCount_CallbackThrows_ZeroErrorCountedReportedAndHandedBack()
    {
        var registry = new ShrinkerRegistry();
        var diagnostics = new RecordingDiagnostics();
        registry.Diagnostics = diagnostics;
        var failure = new InvalidOperationException("count failed");
        using var probe = new Probe(registry, ShrinkerFlags.None, count: 3) { CountFailure = failure };

        Assert.Equal(0, probe.Shrinker.DebugCount(0, null, out Exception? exception));

        Assert.Same(failure, exception);
        Assert.Equal(1, probe.Shrinker.GetStatistics().CallbackErrors);
        (Shrinker shrinker, ShrinkerCallbackKind kind, object detail) = Assert.Single(diagnostics.Reports);
        Assert.Same(probe.Shrinker, shrinker);
        Assert.Equal(ShrinkerCallbackKind.Count, kind);
        Assert.Same(failure, detail);
        Assert.Equal(1, probe.Shrinker.ReferenceCount);
    }

    [Fact]
    public void DebugCount_NegativeCount_ContractViolationTakenAsZero()
    {
        var registry = new ShrinkerRegistry();
        var diagnostics = new RecordingDiagnostics();
        registry.Diagnostics = diagnostics;
        using var probe = new Probe(registry, ShrinkerFlags.None, count: -5);

        Assert.Equal(0, probe.Shrinker.DebugCount(0, null));

        Assert.Equal(1, probe.Shrinker.GetStatistics().ContractViolations);
        Assert.Equal(-5L, Assert.Single(diagnostics.Reports).Detail);
    }

    [Fact]
    public void DebugScan_OneDirectCallWithExactlyNrToScan_NoCountNoBatchingNoDeferral()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        using var probe = new Probe(registry, ShrinkerFlags.NodeAware, count: 10_000, batch: 16);
        probe.Shrinker.AddDeferred(1, 40);

        long freed = probe.Shrinker.DebugScan(1, null, 1000, out long nrScanned, out Exception? exception);

        Assert.Equal(1000, freed);
        Assert.Equal(1000, nrScanned);
        Assert.Null(exception);
        ShrinkControl seen = Assert.Single(probe.Scans);
        Assert.Equal(1000, seen.NrToScan);
        Assert.Equal(1, seen.Node);
        Assert.Same(registry.Root, seen.Group);
        Assert.Empty(probe.Counts);
        Assert.Equal(40, probe.Shrinker.GetDeferred(1));
        Assert.Equal(0, probe.Shrinker.GetDeferred(0));

        ShrinkerStatistics stats = probe.Shrinker.GetStatistics();
        Assert.Equal(0, stats.Passes);
        Assert.Equal(1000, stats.ObjectsScanned);
        Assert.Equal(1000, stats.ObjectsFreed);
        Assert.Equal(1, probe.Shrinker.ReferenceCount);
    }

    [Fact]
    public void DebugScan_NotNodeAware_CalledWithNodeZero()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        using var probe = new Probe(registry, ShrinkerFlags.None, count: 10);

        probe.Shrinker.DebugScan(1, null, 3);

        Assert.Equal(0, Assert.Single(probe.Scans).Node);
    }

    [Fact]
    public void DebugScan_GroupAware_CalledWithTheGroup()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        using var probe = new Probe(registry, ShrinkerFlags.GroupAware, count: 10);

        probe.Shrinker.DebugScan(0, tenant, 4);

        Assert.Same(tenant, Assert.Single(probe.Scans).Group);
    }

    [Fact]
    public void DebugScan_Zero_CallsNothingEvenWithAGroupThatWouldBeRefused()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        using var probe = new Probe(registry, ShrinkerFlags.None, count: 10);

        Assert.Equal(0, probe.Shrinker.DebugScan(0, tenant, 0, out long nrScanned, out _));

        Assert.Equal(0, nrScanned);
        Assert.Empty(probe.Scans);
        Assert.Empty(probe.Counts);
    }

    [Fact]
    public void DebugScan_CallbackSetsNrScanned_HandedBackAndCounted()
    {
        using var probe = new Probe(new ShrinkerRegistry(), ShrinkerFlags.None, count: 10) { ScannedOverride = 3 };

        long freed = probe.Shrinker.DebugScan(0, null, 50, out long nrScanned, out _);

        Assert.Equal(50, freed);
        Assert.Equal(3, nrScanned);
        Assert.Equal(3, probe.Shrinker.GetStatistics().ObjectsScanned);
    }

    [Fact]
    public void DebugScan_CallbackThrows_StopErrorCountedAndHandedBack()
    {
        var failure = new InvalidOperationException("scan failed");
        using var probe = new Probe(new ShrinkerRegistry(), ShrinkerFlags.None, count: 10) { ScanFailure = failure };

        Assert.Equal(Shrinker.Stop, probe.Shrinker.DebugScan(0, null, 5, out _, out Exception? exception));

        Assert.Same(failure, exception);
        ShrinkerStatistics stats = probe.Shrinker.GetStatistics();
        Assert.Equal(1, stats.CallbackErrors);
        Assert.Equal(0, stats.ObjectsFreed);
        Assert.Equal(1, probe.Shrinker.ReferenceCount);
    }

    [Fact]
    public void DebugScan_NegativeResult_ContractViolationTakenAsStop()
    {
        using var probe = new Probe(new ShrinkerRegistry(), ShrinkerFlags.None, count: 10) { ScanResult = -7 };

        Assert.Equal(Shrinker.Stop, probe.Shrinker.DebugScan(0, null, 5));

        Assert.Equal(1, probe.Shrinker.GetStatistics().ContractViolations);
    }

    [Fact]
    public void DebugScanAndCount_NodeOutOfRange_ArgumentOutOfRange()
    {
        using var probe = new Probe(new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 }), ShrinkerFlags.NodeAware, count: 10);

        Assert.Throws<ArgumentOutOfRangeException>("node", () => probe.Shrinker.DebugScan(2, null, 1));
        Assert.Throws<ArgumentOutOfRangeException>("node", () => probe.Shrinker.DebugScan(-1, null, 1));
        Assert.Throws<ArgumentOutOfRangeException>("node", () => probe.Shrinker.DebugCount(2, null));
        Assert.Throws<ArgumentOutOfRangeException>("nrToScan", () => probe.Shrinker.DebugScan(0, null, -1));
        Assert.Empty(probe.Scans);
    }

    [Fact]
    public void DebugScanAndCount_GroupForShrinkerNotGroupAware_ArgumentException()
    {
        var registry = new ShrinkerRegistry();
        using var probe = new Probe(registry, ShrinkerFlags.NodeAware, count: 10);

        ArgumentException scan = Assert.Throws<ArgumentException>("group", () => probe.Shrinker.DebugScan(0, registry.Root, 1));
        Assert.Contains("not group-aware", scan.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("group", () => probe.Shrinker.DebugCount(0, registry.Root));
        Assert.Empty(probe.Scans);
        Assert.Empty(probe.Counts);
    }

    [Fact]
    public void DebugScan_OfflineGroupOrAnotherRegistrysGroup_ArgumentException()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup gone = registry.Root.CreateChild("gone");
        gone.Offline();
        MemoryGroup foreign = new ShrinkerRegistry().Root.CreateChild("foreign");
        using var probe = new Probe(registry, ShrinkerFlags.GroupAware, count: 10);

        Assert.Contains("offline", Assert.Throws<ArgumentException>("group", () => probe.Shrinker.DebugScan(0, gone, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("group", () => probe.Shrinker.DebugScan(0, foreign, 1));
        Assert.Empty(probe.Scans);
    }

    [Fact]
    public void DebugScanAndCount_NotRegistered_InvalidOperation()
    {
        var registry = new ShrinkerRegistry();
        Shrinker allocated = registry.Alloc("allocated");
        allocated.CountObjects = (Shrinker _, ref ShrinkControl _) => 1;
        allocated.ScanObjects = (Shrinker _, ref ShrinkControl _) => 1;
        var probe = new Probe(registry, ShrinkerFlags.None, count: 10);
        probe.Dispose();

        Assert.Throws<InvalidOperationException>(() => allocated.DebugScan(0, null, 1));
        Assert.Throws<InvalidOperationException>(() => allocated.DebugCount(0, null));
        Assert.Throws<InvalidOperationException>(() => probe.Shrinker.DebugScan(0, null, 1));
        Assert.Empty(probe.Scans);
    }

    [Fact]
    public async Task DebugScan_InFlight_FreeWaitsAndStatisticsShowItRunning()
    {
        var registry = new ShrinkerRegistry();
        using var gate = new GatedShrinker(registry, "gated");

        Task scan = Threaded.Start(() => gate.Shrinker.DebugScan(0, null, 5));
        Assert.True(SpinWait.SpinUntil(() => gate.GatedCalls == 1, Threaded.Timeout), "the debug scan never reached its callback");
        Assert.Equal(1, gate.Shrinker.GetStatistics().RunningCallbacks);
        Task free = Threaded.Start(gate.Shrinker.Free);

        Assert.False(await Threaded.CompletesWithin(free, TimeSpan.FromMilliseconds(100)), "Free returned while a debug scan was inside the callback");
        Assert.Equal(ShrinkerState.Freeing, gate.Shrinker.State);
        gate.Release();
        await Threaded.Within(scan, "the debug scan");
        await Threaded.Within(free, "Free after the debug scan");
        Assert.Equal(ShrinkerState.Freed, gate.Shrinker.State);
    }

    [Fact]
    public void DebugScan_CallbackFreesItsOwnShrinker_RefusedAsInAPass()
    {
        var registry = new ShrinkerRegistry();
        Shrinker shrinker = registry.Alloc("self-freeing");
        shrinker.CountObjects = (Shrinker _, ref ShrinkControl _) => 1;
        shrinker.ScanObjects = (Shrinker s, ref ShrinkControl _) => { s.Free(); return 1; };
        shrinker.Register();

        Assert.Equal(Shrinker.Stop, shrinker.DebugScan(0, null, 1, out _, out Exception? exception));

        Assert.IsType<InvalidOperationException>(exception);
        Assert.True(shrinker.IsRegistered);
        shrinker.Free();
    }

    [Fact]
    public void DebugScan_ChargeFromInsideTheCallback_StartsNoReclaim()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        tenant.High = 100;
        using var bystander = new Probe(registry, ShrinkerFlags.GroupAware, count: 1000);
        tenant.Charge(50);
        bystander.Shrinker.MarkHasObjects(tenant);
        Shrinker charger = registry.Alloc("charger");
        charger.CountObjects = (Shrinker _, ref ShrinkControl _) => 1;
        charger.ScanObjects = (Shrinker _, ref ShrinkControl _) => tenant.TryCharge(1000) ? 1 : 0;
        charger.Register();

        Assert.Equal(1, charger.DebugScan(0, null, 1));

        Assert.Empty(bystander.Scans);
        Assert.Equal(1050, tenant.Usage);
        charger.Free();
    }

    /// <summary>A registered shrinker that records what each call saw and answers as told.</summary>
    private sealed class Probe : IDisposable
    {
        private readonly ConcurrentQueue<ShrinkControl> _counts = new();
        private readonly ConcurrentQueue<ShrinkControl> _scans = new();

        public Probe(ShrinkerRegistry registry, ShrinkerFlags flags, long count, int batch = 0)
        {
            Shrinker = registry.Alloc("probe", flags);
            Shrinker.Batch = batch;
            Shrinker.CountObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                _counts.Enqueue(sc);
                return CountFailure is null ? count : throw CountFailure;
            };
            Shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                _scans.Enqueue(sc);
                if (ScanFailure is not null)
                {
                    throw ScanFailure;
                }

                if (ScannedOverride is { } scanned)
                {
                    sc.NrScanned = scanned;
                }

                return ScanResult ?? sc.NrToScan;
            };
            Shrinker.Register();
        }

        public Shrinker Shrinker { get; }

        public Exception? CountFailure { get; init; }

        public Exception? ScanFailure { get; init; }

        public long? ScannedOverride { get; init; }

        public long? ScanResult { get; init; }

        public ShrinkControl[] Counts => [.. _counts];

        public ShrinkControl[] Scans => [.. _scans];

        public void Dispose() => Shrinker.Free();
    }

    private sealed class RecordingDiagnostics : ReclaimDiagnostics
    {
        public ConcurrentQueue<(Shrinker Shrinker, ShrinkerCallbackKind Kind, object Detail)> Reports { get; } = new();

        public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception) =>
            Reports.Enqueue((shrinker, kind, exception));

        public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value) =>
            Reports.Enqueue((shrinker, kind, value));
    }
}
