using System.Globalization;
using System.Runtime.Versioning;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure.Sources;

/// <summary>
/// The cgroup source: <c>memory.events</c> parsing and what each counter's rise means; v2 watching through inotify
/// (over a plain <c>memory.events</c> file in a temporary directory, which inotify reports the same way); v1
/// <c>memory.pressure_level</c> registration on a real child cgroup, driven into critical pressure by a process that
/// overruns the child's limit; and the Dispose contract.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class CgroupEventsPressureSourceTests : IDisposable
{
    private const string KernelText = "low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\nsock_throttled 0\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("reclaim-cgroup-events-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string EventsFile => Path.Combine(_dir, "memory.events");

    private CgroupEventsPressureSource FakeV2Source() => new(CgroupMemory.ForDirectory(2, _dir, _dir));

    private void WriteEvents(long low = 0, long high = 0, long max = 0, long oom = 0, long oomKill = 0) =>
        File.WriteAllText(EventsFile, string.Create(CultureInfo.InvariantCulture, $"low {low}\nhigh {high}\nmax {max}\noom {oom}\noom_kill {oomKill}\n"));

    [Fact]
    public void TryParseMemoryEvents_KernelText_ReadsEveryCounterAndIgnoresOtherKeys()
    {
        Assert.True(CgroupEventsPressureSource.TryParseMemoryEvents(KernelText, out MemoryEventCounters counters));

        Assert.Equal(new MemoryEventCounters(Low: 0, High: 12, Max: 3, Oom: 1, OomKill: 1), counters);
    }

    [Fact]
    public void TryParseMemoryEvents_OlderKernelWithoutOomKill_ReadsZero()
    {
        Assert.True(CgroupEventsPressureSource.TryParseMemoryEvents("low 1\nhigh 2\nmax 3\noom 4\n", out MemoryEventCounters counters));

        Assert.Equal(new MemoryEventCounters(1, 2, 3, 4, 0), counters);
    }

    [Theory]
    [InlineData("")]
    [InlineData("low 0\nmax 3\n")] // no high
    [InlineData("low 0\nhigh 3\n")] // no max
    [InlineData("high x\nmax 3\n")]
    [InlineData("high -1\nmax 3\n")]
    [InlineData("high 1\nmax 3\ngarbage\n")]
    public void TryParseMemoryEvents_MissingOrMalformed_ReturnsFalse(string text)
    {
        Assert.False(CgroupEventsPressureSource.TryParseMemoryEvents(text, out _));
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 0, null)]
    [InlineData(5, 0, 0, 0, 0, null)] // low: pressure from outside the cgroup, not its own shortage
    [InlineData(0, 1, 0, 0, 0, MemoryPressureLevel.Moderate)]
    [InlineData(0, 0, 1, 0, 0, MemoryPressureLevel.Critical)]
    [InlineData(0, 0, 0, 1, 0, MemoryPressureLevel.Critical)]
    [InlineData(0, 0, 0, 0, 1, MemoryPressureLevel.Critical)]
    [InlineData(0, 3, 1, 0, 0, MemoryPressureLevel.Critical)]
    public void LevelForChange_CounterRises_MapsToLevel(long low, long high, long max, long oom, long oomKill, MemoryPressureLevel? expected)
    {
        var before = new MemoryEventCounters(10, 10, 10, 10, 10);
        var after = new MemoryEventCounters(10 + low, 10 + high, 10 + max, 10 + oom, 10 + oomKill);

        Assert.Equal(expected, CgroupEventsPressureSource.LevelForChange(before, after));
    }

    [Fact]
    public void TryStart_V2WithoutMemoryEvents_ReturnsFalseWithThePathAndErrno()
    {
        LinuxFiles.SkipUnlessLinux();
        using CgroupEventsPressureSource source = FakeV2Source();

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal($"Cannot open {EventsFile}: No such file or directory.", reason);
    }

    [Fact]
    public void TryStart_V2MemoryEventsUnreadable_ReturnsFalseSayingSo()
    {
        LinuxFiles.SkipUnlessLinux();
        File.WriteAllText(EventsFile, "this is not it\n");
        using CgroupEventsPressureSource source = FakeV2Source();

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal($"{EventsFile} does not read as memory.events (\"high <n>\", \"max <n>\" lines).", reason);
    }

    [Fact]
    public void TryStart_V1WithoutPressureLevel_ReturnsFalseWithThePathAndErrno()
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new CgroupEventsPressureSource(CgroupMemory.ForDirectory(1, _dir, _dir));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal($"Cannot open {Path.Combine(_dir, "memory.pressure_level")}: No such file or directory.", reason);
    }

    [Fact]
    public async Task TryStart_V2CountersRise_SignalsModerateForHighAndCriticalForMaxOomAndOomKill()
    {
        LinuxFiles.SkipUnlessLinux();
        WriteEvents();
        using var recorder = new SignalRecorder();
        using CgroupEventsPressureSource source = FakeV2Source();
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);
        Assert.Equal(2, source.WatchedVersion);

        WriteEvents(low: 1); // signals nothing: the next signal must be the high one
        WriteEvents(low: 1, high: 1);
        await recorder.WaitAsync("high rose");
        WriteEvents(low: 1, high: 1, max: 1);
        await recorder.WaitAsync("max rose");
        WriteEvents(low: 1, high: 1, max: 1, oom: 1, oomKill: 1);
        await recorder.WaitAsync("oom and oom_kill rose");

        Assert.Equal(
            [
                new MemoryPressureSignal("cgroup", MemoryPressureLevel.Moderate),
                new MemoryPressureSignal("cgroup", MemoryPressureLevel.Critical),
                new MemoryPressureSignal("cgroup", MemoryPressureLevel.Critical),
            ],
            recorder.All);
    }

    [Fact]
    public void TryStart_V2MemoryEventsRemoved_StopsWatching()
    {
        LinuxFiles.SkipUnlessLinux();
        WriteEvents();
        using var recorder = new SignalRecorder();
        using CgroupEventsPressureSource source = FakeV2Source();
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        File.Delete(EventsFile); // as a removed cgroup's files go

        Assert.True(SpinWait.SpinUntil(() => !source.IsWatching, Threaded.Timeout), "still watching a deleted memory.events");
        Assert.Empty(recorder.All);
    }

    [Fact]
    public async Task Dispose_WhileCountersKeepRising_ReturnsPromptlyAndNoSignalFollows()
    {
        LinuxFiles.SkipUnlessLinux();
        WriteEvents();
        using var recorder = new SignalRecorder();
        CgroupEventsPressureSource source = FakeV2Source();
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        using var stop = new CancellationTokenSource();
        Task writer = Threaded.Start(() =>
        {
            for (long max = 1; !stop.IsCancellationRequested; max++)
            {
                WriteEvents(max: max);
            }
        });
        await recorder.WaitAsync("while max keeps rising");

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        source.Dispose();
        stopwatch.Stop();
        recorder.Seal();
        int seen = recorder.All.Count;
        await stop.CancelAsync();
        await Threaded.Within(writer, "the memory.events writer");

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {stopwatch.Elapsed}");
        Assert.False(source.IsWatching);
        Assert.Equal(0, recorder.Late);
        Assert.Equal(seen, recorder.All.Count);
    }

    [Fact]
    public void TryStart_V1ChildCgroup_RegistersBothLevelsAndDisposeUnregisters()
    {
        using ChildMemoryCgroup child = ChildMemoryCgroup.Create();
        using var recorder = new SignalRecorder();
        var source = new CgroupEventsPressureSource(child.Cgroup);

        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);
        Assert.Equal(1, source.WatchedVersion);
        Assert.True(source.IsWatching);

        source.Dispose();
        recorder.Seal();
        Assert.False(source.IsWatching);
        Assert.Equal(0, recorder.Late);
    }

    [Fact]
    public async Task TryStart_V1ChildCgroupOverrunByAProcess_SignalsCritical()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/perl"), "no /usr/bin/perl to allocate memory in the child cgroup");
        using ChildMemoryCgroup child = ChildMemoryCgroup.Create();
        child.SetLimit(64L << 20);
        using var recorder = new SignalRecorder();
        using var source = new CgroupEventsPressureSource(child.Cgroup);
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        // 256 MiB of anonymous memory in a 64 MiB cgroup, with no swap to put it in: reclaim scans and frees nothing,
        // works down to its last priorities (vmpressure's "critical"), then the cgroup's OOM killer ends the process.
        // Measured on this machine: every such run raised 25-110 critical events (and as many medium); page cache
        // (dd to a file) raised mostly "low", "medium" only now and then, so it is not used here.
        int exit = await child.RunInsideAsync("perl -e '$x = \"x\" x (256 * 1024 * 1024); print length $x'");

        await recorder.WaitForAsync(s => s.Level == MemoryPressureLevel.Critical, $"a process (exit code {exit}) overran the child's 64 MiB limit");
        Assert.All(recorder.All, s => Assert.Equal("cgroup", s.Source));
    }

    [Fact]
    public void TryStart_V1ChildCgroupRemoved_StopsWithoutSignalling()
    {
        using ChildMemoryCgroup child = ChildMemoryCgroup.Create();
        using var recorder = new SignalRecorder();
        using var source = new CgroupEventsPressureSource(child.Cgroup);
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        // Removing the cgroup signals every registered eventfd once: the source must take that for the end, not pressure.
        child.Dispose();

        Assert.True(SpinWait.SpinUntil(() => !source.IsWatching, Threaded.Timeout), "still watching a removed cgroup");
        Assert.Empty(recorder.All);
    }
}
