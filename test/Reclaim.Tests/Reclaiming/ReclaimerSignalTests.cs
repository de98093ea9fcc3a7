using Reclaim.Pressure;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>Signals and pressure levels: what a signal makes the next step do, and how levels rise, hold and fall.</summary>
public class ReclaimerSignalTests
{
    private const long ObjectBytes = 64 * 1024;

    [Fact]
    public void Signal_ModerateWithLowReading_ReclaimsAsIfAtTheStartLine()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reader.Heap = 100 * Mb;

        rig.Reclaimer.Signal(MemoryPressureLevel.Moderate);
        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.Equal("manual", run.Trigger);
        Assert.Equal(100 * Mb, run.TargetBytes); // start line 800 MB down to the 700 MB target
        Assert.True(run.Result.TargetMet);
    }

    [Fact]
    public void Signal_Critical_ReclaimsFromTheDirectLine()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);

        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);
        rig.Reclaimer.Step();

        Assert.Equal(200 * Mb, rig.Reclaimer.LastRun!.Value.TargetBytes);
        Assert.Equal(MemoryPressureLevel.Critical, rig.Reclaimer.Level);
    }

    [Theory]
    [InlineData(MemoryPressureLevel.Moderate)]
    [InlineData(MemoryPressureLevel.Critical)]
    public void Signal_LimitNotARoundNumber_GivesExactlyTheSignalledLevel(MemoryPressureLevel level)
    {
        using var rig = new ReclaimerRig();
        rig.Reader.LimitBytes = 1L << 50; // 0.8 and 0.9 of it are not whole bytes
        rig.Reclaimer.RefreshLimit();

        rig.Reclaimer.Signal(level);
        rig.Reclaimer.Step();

        Assert.Equal(level, rig.Reclaimer.Level);
    }

    [Fact]
    public void Signal_None_OnlyTakesAReading()
    {
        using var rig = new ReclaimerRig();
        rig.Reader.Heap = 100 * Mb;

        rig.Reclaimer.Signal(MemoryPressureLevel.None);
        rig.Reclaimer.Step();

        Assert.Equal(0, rig.Reclaimer.RunCount);
    }

    [Fact]
    public void Signal_HigherLevelWins_AndReactionTimeCountsFromTheFirstSignal()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);

        rig.Reclaimer.Signal(MemoryPressureLevel.Critical);
        rig.Time.Advance(TimeSpan.FromMilliseconds(30));
        rig.Reclaimer.Signal(MemoryPressureLevel.Moderate);
        rig.Time.Advance(TimeSpan.FromMilliseconds(20));
        rig.Reclaimer.Step();

        ReclaimRun run = rig.Reclaimer.LastRun!.Value;
        Assert.Equal(200 * Mb, run.TargetBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(50), run.ReactionTime);
    }

    [Fact]
    public void Signal_WhileAwaitingACollection_StillRuns()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes, charged: false);
        pool.Add(rig.Root, 100_000);
        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();

        rig.Reclaimer.Signal(MemoryPressureLevel.Moderate);
        rig.Reclaimer.Step();

        Assert.Equal(2, rig.Reclaimer.RunCount);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Signal_UndefinedLevel_Throws(int level)
    {
        using var rig = new ReclaimerRig();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => rig.Reclaimer.Signal((MemoryPressureLevel)level));

        Assert.Equal("level", ex.ParamName);
    }

    [Fact]
    public void Source_SignalFromAnotherSource_NamesItAsTrigger()
    {
        var source = new ManualSource("test-source");
        using var rig = new ReclaimerRig(o => o.Sources.Add(source));
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        rig.Reclaimer.Start();
        try
        {
            var runs = new List<ReclaimRun>();
            using var ran = new SemaphoreSlim(0);
            rig.Reclaimer.RunCompleted += (_, run) =>
            {
                lock (runs)
                {
                    runs.Add(run);
                }

                ran.Release();
            };

            source.Raise(MemoryPressureLevel.Moderate);

            Assert.True(ran.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), "a run after the source's signal");
            lock (runs)
            {
                Assert.Equal("test-source", runs[0].Trigger);
            }
        }
        finally
        {
            rig.Reclaimer.Stop();
        }

        Assert.True(source.Disposed);
    }

    [Fact]
    public void Level_RisesAtOnce_FallsAfterCooldownBelowTheLowerLine()
    {
        using var rig = new ReclaimerRig(o => o.LevelCooldown = TimeSpan.FromSeconds(10));
        var changes = new List<MemoryPressureChange>();
        rig.Reclaimer.PressureChanged += (_, change) => changes.Add(change);

        rig.Reader.Heap = 920 * Mb;
        rig.Reclaimer.Step();
        Assert.Equal(MemoryPressureLevel.Critical, rig.Reclaimer.Level);

        rig.Reader.Gen2++;
        rig.Reader.Heap = 750 * Mb; // below start, above target
        rig.Reclaimer.Step();
        Assert.Equal(MemoryPressureLevel.Critical, rig.Reclaimer.Level); // cooldown holds it

        rig.Time.Advance(TimeSpan.FromSeconds(10));
        rig.Reclaimer.Step();
        Assert.Equal(MemoryPressureLevel.Moderate, rig.Reclaimer.Level); // one step down: not yet below target

        rig.Reader.Heap = 650 * Mb;
        rig.Reclaimer.Step();
        Assert.Equal(MemoryPressureLevel.None, rig.Reclaimer.Level);

        Assert.Equal(
            [
                new MemoryPressureChange(MemoryPressureLevel.None, MemoryPressureLevel.Critical, 920 * Mb, 1000 * Mb),
                new MemoryPressureChange(MemoryPressureLevel.Critical, MemoryPressureLevel.Moderate, 750 * Mb, 1000 * Mb),
                new MemoryPressureChange(MemoryPressureLevel.Moderate, MemoryPressureLevel.None, 650 * Mb, 1000 * Mb),
            ],
            changes);
    }

    [Fact]
    public void Subscribe_GetsCurrentLevelThenChanges_AndCompletesOnDispose()
    {
        var rig = new ReclaimerRig();
        var observer = new RecordingObserver();
        using IDisposable subscription = rig.Reclaimer.Subscribe(observer);

        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();
        rig.Dispose();

        Assert.Equal([MemoryPressureLevel.None, MemoryPressureLevel.Moderate], observer.Levels);
        Assert.True(observer.Completed);
    }

    [Fact]
    public void Subscribe_Unsubscribed_GetsNoMoreChanges()
    {
        using var rig = new ReclaimerRig();
        var observer = new RecordingObserver();
        rig.Reclaimer.Subscribe(observer).Dispose();

        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();

        Assert.Equal([MemoryPressureLevel.None], observer.Levels);
    }

    [Fact]
    public void PressureChanged_ThrowingHandler_DoesNotStopReclaimOrOtherSubscribers()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 16_000);
        var failures = new RecordingDiagnostics();
        rig.Registry.AddDiagnostics(failures);
        rig.Reclaimer.PressureChanged += (_, _) => throw new InvalidOperationException("handler bug");
        var observer = new RecordingObserver();
        rig.Reclaimer.Subscribe(observer);

        rig.Reader.Heap = 850 * Mb;
        rig.Reclaimer.Step();

        Assert.Equal(1, rig.Reclaimer.RunCount);
        Assert.Equal([MemoryPressureLevel.None, MemoryPressureLevel.Moderate], observer.Levels);
        Assert.Equal("handler bug", Assert.Single(failures.ReclaimerFailures).Message);
    }

    internal sealed class RecordingObserver : IObserver<MemoryPressureLevel>
    {
        public List<MemoryPressureLevel> Levels { get; } = [];

        public bool Completed { get; private set; }

        public void OnCompleted() => Completed = true;

        public void OnError(Exception error) => throw new InvalidOperationException("not expected", error);

        public void OnNext(MemoryPressureLevel value) => Levels.Add(value);
    }
}
