using System.Diagnostics.Tracing;
using Microsoft.Extensions.Time.Testing;
using Reclaim.Groups;
using Reclaim.Pressure;
using Reclaim.Telemetry;
using Reclaim.Tests.Reclaiming;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;
using static Reclaim.Tests.Telemetry.ReclaimEventCollector;

namespace Reclaim.Tests.Telemetry;

/// <summary>
/// The tracepoints and the other events, each observed through an <see cref="EventListener"/> with the fields the
/// arithmetic (kernel-shrinker.md section 3) or the reclaimer gives.
/// </summary>
[Collection(RunsAlone.Name)]
public class ReclaimEventSourceTests
{
    [Fact]
    public void Manifest_Strict_IsValidWithStableName()
    {
        string? manifest = EventSource.GenerateManifest(typeof(ReclaimEventSource), "Reclaim.dll", EventManifestOptions.Strict);

        Assert.NotNull(manifest);
        Assert.Equal("Reclaim", EventSource.GetName(typeof(ReclaimEventSource)));
        Assert.Equal(ReclaimEventSource.SourceName, ReclaimEventSource.Log.Name);
    }

    [Fact]
    public void ShrinkSlab_ShrinkEventsEnabled_ShrinkStartCarriesTheArithmetic()
    {
        using var events = new ReclaimEventCollector(EventLevel.Verbose, ReclaimEventSource.Keywords.Shrink);
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        Shrinker shrinker = TestShrinkers.Counter(registry, "trace-start", 10_000, out _);
        shrinker.AddDeferred(0, 1_000);

        registry.ShrinkSlab(0, null, priority: 2);

        // freeable 10,000; nr 1,000 taken; delta = (10,000 >> 2) * 4 / 2 = 5,000;
        // total_scan = min((1,000 >> 2) + 5,000, 2 * 10,000) = 5,250.
        EventWrittenEventArgs start = Assert.Single(events.Of("ShrinkStart", "trace-start"));
        Assert.Equal(1, start.EventId);
        Assert.Equal(1, start.Version);
        Assert.Equal(EventLevel.Verbose, start.Level);
        Assert.Equal(EventOpcode.Info, start.Opcode);
        Assert.Equal(shrinker.DebugId, Field(start, "shrinkerId"));
        Assert.Equal(0, Field(start, "node"));
        Assert.Equal(registry.Root.Id, Field(start, "groupId"));
        Assert.Equal(1_000L, Field(start, "nrObjectsToShrink"));
        Assert.Equal(10_000L, Field(start, "freeable"));
        Assert.Equal(5_000L, Field(start, "delta"));
        Assert.Equal(5_250L, Field(start, "totalScan"));
        Assert.Equal(2, Field(start, "priority"));
    }

    [Fact]
    public void ShrinkSlab_ShrinkEventsEnabled_ShrinkEndCarriesFreedAndDeferred()
    {
        using var events = new ReclaimEventCollector(EventLevel.Verbose, ReclaimEventSource.Keywords.Shrink);
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        Shrinker shrinker = TestShrinkers.Counter(registry, "trace-end", 10_000, out StrongBox<long> objects);
        shrinker.AddDeferred(0, 1_000);

        long freed = registry.ShrinkSlab(0, null, priority: 2);

        // total_scan 5,250 in batches of 128: 41 scans take 5,248, and 2 are left (below a batch and the count).
        // Deferred after: clamp(1,000 + 5,000 - 5,248, 0, 20,000) = 752.
        EventWrittenEventArgs end = Assert.Single(events.Of("ShrinkEnd", "trace-end"));
        Assert.Equal(2, end.EventId);
        Assert.Equal(1, end.Version);
        Assert.Equal(shrinker.DebugId, Field(end, "shrinkerId"));
        Assert.Equal(0, Field(end, "node"));
        Assert.Equal(registry.Root.Id, Field(end, "groupId"));
        Assert.Equal(5_248L, Field(end, "freed"));
        Assert.Equal(1_000L, Field(end, "unusedScan"));
        Assert.Equal(752L, Field(end, "newScan"));
        Assert.Equal(2L, Field(end, "totalScan"));
        Assert.Equal((5_248L, 10_000L - 5_248L, 752L), (freed, objects.Value, shrinker.GetStatistics().Deferred));
    }

    [Fact]
    public void ShrinkSlab_GroupAndNodeAwareShrinkerInAGroup_EventsNameTheGroupAndNode()
    {
        using var events = new ReclaimEventCollector(EventLevel.Verbose, ReclaimEventSource.Keywords.Shrink);
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        Shrinker shrinker = registry.Alloc("trace-group", ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        shrinker.Seeks = 0;
        shrinker.CountObjects = static (Shrinker _, ref ShrinkControl _) => 300;
        shrinker.ScanObjects = static (Shrinker _, ref ShrinkControl sc) => sc.NrToScan;
        shrinker.Register();
        shrinker.MarkHasObjects(tenant, 1);

        registry.ShrinkSlab(1, tenant, priority: 12);

        // seeks 0: delta = 300 / 2 = 150 at any priority; 150 >= 128: one batch of 128, 22 left, 22 deferred.
        EventWrittenEventArgs start = Assert.Single(events.Of("ShrinkStart", "trace-group"));
        EventWrittenEventArgs end = Assert.Single(events.Of("ShrinkEnd", "trace-group"));
        Assert.Equal((1, tenant.Id), (Field(start, "node"), Field(start, "groupId")));
        Assert.Equal((1, tenant.Id), (Field(end, "node"), Field(end, "groupId")));
        Assert.Equal((0L, 300L, 150L, 150L, 12), (Field(start, "nrObjectsToShrink"), Field(start, "freeable"), Field(start, "delta"), Field(start, "totalScan"), Field(start, "priority")));
        Assert.Equal((128L, 0L, 22L, 22L), (Field(end, "freed"), Field(end, "unusedScan"), Field(end, "newScan"), Field(end, "totalScan")));
    }

    [Fact]
    public void ShrinkSlab_CountZeroOrEmpty_WritesNoShrinkEvents()
    {
        using var events = new ReclaimEventCollector(EventLevel.Verbose, ReclaimEventSource.Keywords.Shrink);
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        TestShrinkers.Counter(registry, "trace-nothing", 0, out _);

        registry.ShrinkSlab(0, null, priority: 0);

        // As in the kernel: a count of 0 or SHRINK_EMPTY returns before the start tracepoint.
        Assert.Empty(events.Of("ShrinkStart", "trace-nothing"));
        Assert.Empty(events.Of("ShrinkEnd", "trace-nothing"));
    }

    [Fact]
    public void ShrinkSlab_SourceAtInformational_WritesNoShrinkEventsAndAllocatesNothing()
    {
        using var events = new ReclaimEventCollector(EventLevel.Informational);
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        TestShrinkers.Counter(registry, "trace-filtered", 1_000_000, out _);
        registry.ShrinkSlab(0, null, 0); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        registry.ShrinkSlab(0, null, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(ReclaimEventSource.Log.IsEnabled());
        Assert.Empty(events.Named("ShrinkStart"));
        Assert.Empty(events.Named("ShrinkEnd"));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ShrinkSlab_NoSession_WritesNothingAndAllocatesNothing()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        TestShrinkers.Counter(registry, "trace-off", 1_000_000, out _);
        registry.ShrinkSlab(0, null, 0);
        Assert.False(ReclaimEventSource.Log.IsEnabled());

        long before = GC.GetAllocatedBytesForCurrentThread();
        registry.ShrinkSlab(0, null, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Step_LevelRises_WritesPressureChanged()
    {
        using var events = new ReclaimEventCollector(EventLevel.Informational, ReclaimEventSource.Keywords.Pressure);
        using var rig = new ReclaimerRig();
        rig.Reader.Heap = 850 * Mb;

        rig.Reclaimer.Step();

        EventWrittenEventArgs changed = Assert.Single(events.Named("PressureChanged"));
        Assert.Equal(3, changed.EventId);
        Assert.Equal(EventLevel.Informational, changed.Level);
        Assert.Equal((int)MemoryPressureLevel.None, Field(changed, "previousLevel"));
        Assert.Equal((int)MemoryPressureLevel.Moderate, Field(changed, "level"));
        Assert.Equal(850 * Mb, Field(changed, "usageBytes"));
        Assert.Equal(1000 * Mb, Field(changed, "limitBytes"));
    }

    [Fact]
    public void Step_BackgroundRun_WritesReclaimRunWithTheRunsFields()
    {
        using var events = new ReclaimEventCollector(EventLevel.Informational, ReclaimEventSource.Keywords.Runs);
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", 64 * 1024);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 850 * Mb;
        ReclaimRun? raised = null;
        rig.Reclaimer.RunCompleted += (_, run) => raised = run;

        rig.Reclaimer.Step();

        ReclaimRun r = Assert.NotNull(raised);
        EventWrittenEventArgs e = Assert.Single(events.Named("ReclaimRun"));
        Assert.Equal(4, e.EventId);
        Assert.Equal("sampling", Field(e, "trigger"));
        Assert.Equal((int)MemoryPressureLevel.Moderate, Field(e, "level"));
        Assert.Equal(850 * Mb, Field(e, "usageBytes"));
        Assert.Equal(1000 * Mb, Field(e, "limitBytes"));
        Assert.Equal(150 * Mb, Field(e, "targetBytes"));
        Assert.Equal(r.Result.BytesFreed, Field(e, "freedBytes"));
        Assert.Equal(r.Result.ObjectsFreed, Field(e, "freedObjects"));
        Assert.Equal(r.Result.LowestPriority, Field(e, "lowestPriority"));
        Assert.Equal(true, Field(e, "targetMet"));
        Assert.Equal(false, Field(e, "inducedCollection"));
        Assert.Equal(r.ReactionTime.TotalMilliseconds, Field(e, "reactionMs"));
        Assert.Equal(r.Duration.TotalMilliseconds, Field(e, "durationMs"));
        Assert.True(r.Result.BytesFreed >= 150 * Mb);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ShrinkSlab_CallbackThrows_WritesCallbackFailed(bool inCount)
    {
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var registry = new ShrinkerRegistry();
        Shrinker shrinker = registry.Alloc("trace-throws");
        shrinker.CountObjects = inCount
            ? static (Shrinker _, ref ShrinkControl _) => throw new InvalidOperationException("count broke")
            : static (Shrinker _, ref ShrinkControl _) => 1_000;
        shrinker.ScanObjects = static (Shrinker _, ref ShrinkControl _) => throw new InvalidOperationException("scan broke");
        shrinker.Register();

        registry.ShrinkSlab(0, null, 0);

        EventWrittenEventArgs failed = Assert.Single(events.Of("CallbackFailed", "trace-throws"));
        Assert.Equal(5, failed.EventId);
        Assert.Equal(EventLevel.Warning, failed.Level);
        Assert.Equal(shrinker.DebugId, Field(failed, "shrinkerId"));
        Assert.Equal(inCount ? "count" : "scan", Field(failed, "callback"));
        Assert.Equal(typeof(InvalidOperationException).FullName, Field(failed, "exceptionType"));
        Assert.Equal(inCount ? "count broke" : "scan broke", Field(failed, "message"));
    }

    [Theory]
    [InlineData(true, -42L)]
    [InlineData(false, -5L)]
    public void ShrinkSlab_AnswerOutsideContract_WritesContractViolated(bool inCount, long value)
    {
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var registry = new ShrinkerRegistry();
        Shrinker shrinker = registry.Alloc("trace-violates");
        shrinker.PrivateData = value;
        shrinker.CountObjects = inCount
            ? static (Shrinker s, ref ShrinkControl _) => (long)s.PrivateData!
            : static (Shrinker _, ref ShrinkControl _) => 1_000;
        shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl _) => (long)s.PrivateData!;
        shrinker.Register();

        registry.ShrinkSlab(0, null, 0);

        EventWrittenEventArgs violated = Assert.Single(events.Of("ContractViolated", "trace-violates"));
        Assert.Equal(6, violated.EventId);
        Assert.Equal(inCount ? "count" : "scan", Field(violated, "callback"));
        Assert.Equal(value, Field(violated, "value"));
    }

    [Fact]
    public void Uncharge_BelowZero_WritesUnchargeUnderflow()
    {
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var registry = new ShrinkerRegistry();
        MemoryGroup group = registry.Root.CreateChild("trace-underflow");
        group.Charge(10);

        group.Uncharge(25);

        EventWrittenEventArgs underflow = Assert.Single(events.Named("UnchargeUnderflow"), e => Equals(Field(e, "group"), "/trace-underflow"));
        Assert.Equal(9, underflow.EventId);
        Assert.Equal((group.Id, 10L, 25L), (Field(underflow, "groupId"), Field(underflow, "usageBytes"), Field(underflow, "bytes")));
    }

    [Fact]
    public void Step_SubscriberThrows_WritesReclaimerFailed()
    {
        using var events = new ReclaimEventCollector(EventLevel.Error, ReclaimEventSource.Keywords.Faults);
        using var rig = new ReclaimerRig();
        rig.Reclaimer.PressureChanged += (_, _) => throw new FormatException("subscriber broke");
        rig.Reader.Heap = 950 * Mb;

        rig.Reclaimer.Step();

        EventWrittenEventArgs failed = Assert.Single(events.Named("ReclaimerFailed"));
        Assert.Equal(8, failed.EventId);
        Assert.Equal(EventLevel.Error, failed.Level);
        Assert.Equal(typeof(FormatException).FullName, Field(failed, "exceptionType"));
        Assert.Equal("subscriber broke", Field(failed, "message"));
    }

    [Fact]
    public void ShrinkSlab_HookSetOnTheRegistry_StillWritesEvents()
    {
        // Tests and hosting replace or add hooks; the event source is reported to before any of them.
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var registry = new ShrinkerRegistry();
        var recorded = new CountingDiagnostics();
        registry.Diagnostics = recorded;
        Shrinker shrinker = registry.Alloc("trace-hooked");
        shrinker.CountObjects = static (Shrinker _, ref ShrinkControl _) => -7;
        shrinker.ScanObjects = static (Shrinker _, ref ShrinkControl _) => 0;
        shrinker.Register();

        registry.ShrinkSlab(0, null, 0);

        Assert.Single(events.Of("ContractViolated", "trace-hooked"));
        Assert.Equal(1, recorded.Violations);
        Assert.Same(recorded, registry.Diagnostics);
    }

    [Fact]
    public async Task CheckStuckCallbacks_CallbackHeldPastThreshold_ReportsOnceThenWhenItDoubles()
    {
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var time = new FakeTimeProvider();
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { TimeProvider = time, StuckCallbackThreshold = TimeSpan.FromSeconds(2) });
        using var gated = new GatedShrinker(registry, "trace-stuck");
        Task pass = gated.StartPassAndWaitInside();
        try
        {
            time.Advance(TimeSpan.FromMilliseconds(1_999));
            ReclaimEventSource.Log.CheckStuckCallbacks();
            Assert.Empty(events.Of("CallbackStuck", "trace-stuck"));

            time.Advance(TimeSpan.FromMilliseconds(1_001)); // 3 s: past the threshold
            ReclaimEventSource.Log.CheckStuckCallbacks();
            ReclaimEventSource.Log.CheckStuckCallbacks(); // the same stretch, not yet doubled: nothing more
            EventWrittenEventArgs stuck = Assert.Single(events.Of("CallbackStuck", "trace-stuck"));
            Assert.Equal(7, stuck.EventId);
            Assert.Equal(gated.Shrinker.DebugId, Field(stuck, "shrinkerId"));
            Assert.Equal(3_000L, Field(stuck, "runningForMs"));
            Assert.Equal(1, Field(stuck, "runningCallbacks"));

            time.Advance(TimeSpan.FromSeconds(3)); // 6 s: twice the last report
            ReclaimEventSource.Log.CheckStuckCallbacks();
            Assert.Equal([3_000L, 6_000L], events.Of("CallbackStuck", "trace-stuck").Select(e => (long)Field(e, "runningForMs")!));
        }
        finally
        {
            gated.Release();
            await Threaded.Within(pass, "the held pass");
        }

        time.Advance(TimeSpan.FromSeconds(60));
        ReclaimEventSource.Log.CheckStuckCallbacks();
        Assert.Equal(2, events.Of("CallbackStuck", "trace-stuck").Count);
    }

    [Fact]
    public void ShrinkSlab_FaultEventsListened_StartsTheStuckMonitor()
    {
        using var events = new ReclaimEventCollector(EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
        var registry = new ShrinkerRegistry();

        registry.ShrinkSlab(0, null, 12);

        // Started by the pass, not by the session's command (which runs where starting a thread can deadlock).
        Assert.True(ReclaimEventSource.Log.IsStuckMonitorRunning);
    }

    [Fact]
    public void Constructor_StuckCallbackThresholdNotPositive_Throws()
    {
        var options = new ShrinkerRegistryOptions { StuckCallbackThreshold = TimeSpan.Zero };

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkerRegistry(options));

        Assert.Contains(nameof(ShrinkerRegistryOptions.StuckCallbackThreshold), thrown.Message, StringComparison.Ordinal);
    }

    private sealed class CountingDiagnostics : Internal.ReclaimDiagnostics
    {
        public int Violations { get; private set; }

        public override void ContractViolated(Shrinker shrinker, Internal.ShrinkerCallbackKind kind, long value) => Violations++;
    }
}
