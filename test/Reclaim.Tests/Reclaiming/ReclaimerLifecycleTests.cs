using Reclaim.Pressure;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>Start, stop, the reclaimer's own thread, the sources' statuses, and the options' validation.</summary>
public class ReclaimerLifecycleTests
{
    [Fact]
    public void Start_SignalRunsReclaimOnTheReclaimersOwnThread()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", 64 * 1024);
        pool.Add(rig.Root, 16_000);
        string? threadName = null;
        bool? poolThread = null;
        using var ran = new SemaphoreSlim(0);
        rig.Reclaimer.RunCompleted += (_, _) =>
        {
            threadName = Thread.CurrentThread.Name;
            poolThread = Thread.CurrentThread.IsThreadPoolThread;
            ran.Release();
        };

        rig.Reclaimer.Start();
        Assert.True(rig.Reclaimer.IsRunning);
        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);

        Assert.True(ran.Wait(Threaded.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal("Reclaim reclaimer", threadName);
        Assert.False(poolThread);
        rig.Reclaimer.Stop();
        Assert.False(rig.Reclaimer.IsRunning);
    }

    [Fact]
    public void Start_SamplingTimer_WakesTheThreadOnTheFakeClock()
    {
        using var rig = new ReclaimerRig(o => o.SamplingInterval = TimeSpan.FromMilliseconds(100));
        using var pool = new ObjectPool(rig.Registry, "pool", 64 * 1024);
        pool.Add(rig.Root, 16_000);
        using var ran = new SemaphoreSlim(0);
        rig.Reclaimer.RunCompleted += (_, _) => ran.Release();
        rig.StartAndWaitForFirstReading();
        rig.Reader.Heap = 850 * Mb;

        Assert.False(ran.Wait(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken), "nothing before the timer fires");
        rig.Time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True(ran.Wait(Threaded.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal("sampling", rig.Reclaimer.LastRun!.Value.Trigger);
    }

    [Fact]
    public async Task Dispose_WhileAnotherThreadStopsDuringARun_WaitsForTheThread()
    {
        var rig = new ReclaimerRig();
        using var gated = new GatedShrinker(rig.Registry, "gated");
        rig.Reclaimer.Start();
        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);
        await Threaded.Within(Task.Run(() => SpinWait.SpinUntil(() => gated.GatedCalls > 0, Threaded.Timeout), TestContext.Current.CancellationToken), "the run reaching the gated scan");

        Task stop = Task.Run(rig.Reclaimer.Stop, TestContext.Current.CancellationToken);
        Task dispose = Task.Run(rig.Dispose, TestContext.Current.CancellationToken);
        Assert.False(await Threaded.CompletesWithin(dispose, TimeSpan.FromMilliseconds(100)), "Dispose waits for the run");
        gated.Release();

        await Threaded.Within(Task.WhenAll(stop, dispose), "stop and dispose");
        Assert.Equal(1, rig.Reclaimer.RunCount);
    }

    [Fact]
    public void Start_OnTheSystemClock_SamplesByItself()
    {
        // The system clock samples with a timed wait on the reclaimer's thread (no timer): a tiny explicit limit makes
        // the process's own heap reading exceed it, so the first sample runs reclaim.
        using var reclaimer = new Reclaimer(new ShrinkerRegistry(), new ReclaimerOptions
        {
            MemoryLimitBytes = 1024,
            SamplingInterval = TimeSpan.FromMilliseconds(20),
            UseGen2CollectionSignal = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
        });
        using var ran = new SemaphoreSlim(0);
        reclaimer.RunCompleted += (_, _) => ran.Release();

        reclaimer.Start();

        Assert.True(ran.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "a sampled run");
        Assert.Equal("sampling", reclaimer.LastRun!.Value.Trigger);
    }

    [Fact]
    public void Start_Twice_Throws()
    {
        using var rig = new ReclaimerRig();
        rig.Reclaimer.Start();

        var ex = Assert.Throws<InvalidOperationException>(rig.Reclaimer.Start);

        Assert.Contains("already started", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stop_Twice_AndBeforeStart_DoNothing()
    {
        using var rig = new ReclaimerRig();
        rig.Reclaimer.Stop();
        rig.Reclaimer.Stop();

        Assert.False(rig.Reclaimer.IsRunning);
    }

    [Fact]
    public void Start_AfterDispose_Throws()
    {
        var rig = new ReclaimerRig();
        rig.Dispose();

        Assert.Throws<ObjectDisposedException>(rig.Reclaimer.Start);
    }

    [Fact]
    public void Sources_SaySoWhichStartedAndWhyOthersDidNot()
    {
        var ok = new ManualSource("ok");
        var unsupported = new ManualSource("unsupported", unsupportedReason: "no such file: /nowhere");
        var failing = new ManualSource("failing", startFailure: new IOException("permission denied"));
        using var rig = new ReclaimerRig(o =>
        {
            o.UseGen2CollectionSignal = true;
            o.Sources.Add(ok);
            o.Sources.Add(unsupported);
            o.Sources.Add(failing);
        });

        rig.Reclaimer.Start();

        Assert.Equal(
            [
                new MemoryPressureSourceStatus("gen2-gc", true, null),
                new MemoryPressureSourceStatus("ok", true, null),
                new MemoryPressureSourceStatus("unsupported", false, "no such file: /nowhere"),
                new MemoryPressureSourceStatus("failing", false, "IOException: permission denied"),
            ],
            rig.Reclaimer.Sources);
        rig.Reclaimer.Stop();
        Assert.True(ok.Disposed && unsupported.Disposed && failing.Disposed);
    }

    [Fact]
    public void Gen2Source_AfterAFullCollection_WakesTheReclaimer()
    {
        using var rig = new ReclaimerRig(o => o.UseGen2CollectionSignal = true);
        using var pool = new ObjectPool(rig.Registry, "pool", 64 * 1024);
        pool.Add(rig.Root, 16_000);
        using var ran = new SemaphoreSlim(0);
        rig.Reclaimer.RunCompleted += (_, _) => ran.Release();
        rig.StartAndWaitForFirstReading();
        rig.Reader.Heap = 850 * Mb;

        bool woke = false;
        for (int i = 0; i < 20 && !woke; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            woke = ran.Wait(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
        }

        Assert.True(woke, "a gen2 collection woke the reclaimer");
        Assert.Equal("gen2-gc", rig.Reclaimer.LastRun!.Value.Trigger);
    }

    [Fact]
    public void Stop_WaitsForTheThread_AndSignalsAfterwardsAreIgnored()
    {
        using var rig = new ReclaimerRig();
        rig.Reclaimer.Start();
        rig.Reclaimer.Stop();

        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);

        Assert.Equal(0, rig.Reclaimer.RunCount);
    }

    public static TheoryData<string, Action<ReclaimerOptions>, string> BadOptions => new()
    {
        { "Target", o => o.TargetWatermark = 0, "target watermark (0)" },
        { "Target", o => o.TargetWatermark = 0.85, "below the start watermark (0.8)" },
        { "Start", o => o.StartWatermark = 0.95, "start watermark (0.95) must be below the direct watermark (0.9)" },
        { "Direct", o => { o.DirectWatermark = 1.5; }, "direct watermark (1.5) must be at most 1" },
        { "options", o => o.MemoryLimitBytes = 0, "MemoryLimitBytes must be positive" },
        { "options", o => o.SamplingInterval = TimeSpan.FromSeconds(-1), "SamplingInterval must not be negative" },
        { "options", o => o.LimitRefreshInterval = TimeSpan.Zero, "LimitRefreshInterval must be positive" },
        { "options", o => o.LevelCooldown = TimeSpan.FromSeconds(-1), "LevelCooldown" },
        { "options.PressureStallTrigger", o => o.PressureStallTrigger = " ", "PressureStallTrigger" },
        { "options.PressureStallTrigger", o => o.PressureStallTrigger = "some 150000 100", "window" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Constructor_BadOptions_ThrowNamingTheSetting(string paramName, Action<ReclaimerOptions> configure, string message)
    {
        var options = new ReclaimerOptions();
        configure(options);

        var ex = Assert.ThrowsAny<ArgumentException>(() => new Reclaimer(new ShrinkerRegistry(), options));

        Assert.Equal(paramName, ex.ParamName);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NullRegistry_Throws()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new Reclaimer(null!));

        Assert.Equal("registry", ex.ParamName);
    }

    [Fact]
    public void Limit_ExplicitOption_WinsAndSaysSo()
    {
        using var rig = new ReclaimerRig(o => o.MemoryLimitBytes = 123 * Mb);

        Assert.Equal(new MemoryLimit(123 * Mb, MemoryLimitSource.Explicit), rig.Reclaimer.Limit);
    }

    [Fact]
    public void Limit_ThisProcess_IsPositiveWithASource()
    {
        using var reclaimer = new Reclaimer(new ShrinkerRegistry());

        MemoryLimit limit = reclaimer.RefreshLimit();
        MemoryUsage usage = reclaimer.ReadUsage();

        Assert.True(limit.Bytes > 0);
        Assert.True(usage.ManagedHeapBytes > 0);
        Assert.True(usage.Bytes > 0);
    }
}
