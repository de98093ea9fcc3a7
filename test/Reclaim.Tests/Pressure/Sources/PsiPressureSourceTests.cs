using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure.Sources;

/// <summary>
/// The PSI source: trigger validation, the file it chooses, the reasons it gives where it cannot run, systemd's
/// FIFO and socket protocol (driven for real through a FIFO and a Unix socket in a temporary directory), a real trigger
/// on <c>/proc/pressure/memory</c>, and the Dispose contract (prompt, descriptors closed, no signal afterwards).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PsiPressureSourceTests : IDisposable
{
    private const string SystemPressureFile = "/proc/pressure/memory";

    // A v1 cgroup at a path that does not exist: the source then never prefers a cgroup memory.pressure file.
    private static readonly CgroupMemory NoV2Cgroup = CgroupMemory.ForDirectory(1, "/nonexistent-cgroup", "/nonexistent-cgroup");

    private readonly string _dir = Directory.CreateTempSubdirectory("reclaim-psi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Environment(string? watch = null, string? write = null) =>
        name => name switch
        {
            PsiPressureSource.WatchVariable => watch,
            PsiPressureSource.WriteVariable => write,
            _ => null,
        };

    private string Fifo(string name = "pressure.fifo")
    {
        string path = Path.Combine(_dir, name);
        LinuxFiles.MakeFifo(path);
        return path;
    }

    [Theory]
    [InlineData("some 150000 1000000", MemoryPressureLevel.Moderate)]
    [InlineData("full 100000 2000000", MemoryPressureLevel.Critical)]
    [InlineData("some 500000 500000", MemoryPressureLevel.Moderate)]
    [InlineData("full 1 10000000", MemoryPressureLevel.Critical)]
    [InlineData("  some  70000   1000000 ", MemoryPressureLevel.Moderate)]
    public void ValidateTrigger_WithinTheKernelsRules_ReturnsTheLevelItSignals(string trigger, MemoryPressureLevel expected)
    {
        Assert.Equal(expected, PsiPressureSource.ValidateTrigger(trigger, nameof(trigger), out _));
        using var source = new PsiPressureSource(trigger); // the constructor takes it too
    }

    [Theory]
    [InlineData("", "\"some|full <stall_us> <window_us>\"")]
    [InlineData("some 150000", "\"some|full <stall_us> <window_us>\"")]
    [InlineData("some 150000 1000000 2", "\"some|full <stall_us> <window_us>\"")]
    [InlineData("avg10 150000 1000000", "starts with \"some\"")]
    [InlineData("SOME 150000 1000000", "starts with \"some\"")]
    [InlineData("some 150ms 1000000", "whole microseconds")]
    [InlineData("some -1 1000000", "whole microseconds")]
    [InlineData("some 150000 400000", "window must be 500000..10000000 us")]
    [InlineData("some 150000 20000000", "window must be 500000..10000000 us")]
    [InlineData("some 0 1000000", "stall must be 1..window (1000000) us")]
    [InlineData("full 2000000 1000000", "stall must be 1..window (1000000) us")]
    public void Constructor_TriggerBreaksARule_ThrowsNamingTheParameterAndTheRule(string trigger, string rule)
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new PsiPressureSource(trigger));

        Assert.Equal("trigger", exception.ParamName);
        Assert.Contains(rule, exception.Message, StringComparison.Ordinal);
        Assert.Contains(trigger.Length == 0 ? "got \"\"" : trigger, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryStart_MissingFile_ReturnsFalseWithThePathAndErrno()
    {
        LinuxFiles.SkipUnlessLinux();
        string missing = Path.Combine(_dir, "no-such-pressure");
        using var source = new PsiPressureSource(path: missing, getEnvironmentVariable: Environment());

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Contains(missing, reason, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", reason, StringComparison.Ordinal);
        Assert.False(source.IsWatching);
    }

    [Fact]
    public void TryStart_RegularFileThatIsNotPsi_ReturnsFalseSayingSo()
    {
        LinuxFiles.SkipUnlessLinux();
        string file = Path.Combine(_dir, "not-psi");
        File.WriteAllText(file, "hello\n");
        using var source = new PsiPressureSource(path: file, getEnvironmentVariable: Environment());

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal($"{file} is not a PSI file (it does not read \"some avg10=...\").", reason);
        Assert.Equal("hello\n", File.ReadAllText(file)); // nothing was written to it
    }

    [Theory]
    [InlineData("/proc/meminfo")]
    [InlineData("/proc/self/status")]
    public void TryStart_KernelFileThatIsNotPsi_ReturnsFalse(string path)
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(path: path, getEnvironmentVariable: Environment());

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Contains(path, reason, StringComparison.Ordinal); // not a PSI file, or not writable: either way named
    }

    [Fact]
    public void TryStart_CharacterDevice_ReturnsFalseNamingWhatItTakes()
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: "/dev/zero"));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal("/dev/zero is not a PSI file, a FIFO or a socket.", reason);
    }

    [Theory]
    [InlineData("/dev/null")]
    [InlineData("")]
    public void TryStart_SystemdTurnedWatchingOff_ReturnsFalseSayingSo(string watch)
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: watch));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal($"MEMORY_PRESSURE_WATCH is \"{watch}\": the service manager turned memory pressure watching off.", reason);
    }

    [Fact]
    public void TryStart_SystemdWatchIsRelative_ReturnsFalse()
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: "pressure/memory"));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal("MEMORY_PRESSURE_WATCH is not an absolute path: \"pressure/memory\".", reason);
    }

    [Fact]
    public void TryStart_SystemdWriteIsNotBase64_ReturnsFalse()
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: Fifo(), write: "not base64!"));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        Assert.Equal("MEMORY_PRESSURE_WRITE is not base64: \"not base64!\".", reason);
    }

    [Fact]
    public void TryStart_KernelRefusesTheSystemdTrigger_ReturnsFalseWithErrno()
    {
        LinuxFiles.SkipUnlessLinux();
        Assert.SkipUnless(File.Exists(SystemPressureFile), $"no {SystemPressureFile} (a kernel without PSI, or booted with psi=0)");
        string bogus = Convert.ToBase64String("sometimes 1 2\0"u8);
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: SystemPressureFile, write: bogus));

        Assert.False(source.TryStart(_ => { }, out string? reason));

        if (reason.StartsWith("Cannot open", StringComparison.Ordinal))
        {
            Assert.Skip($"{SystemPressureFile} is not writable here: {reason}");
        }

        Assert.StartsWith($"{SystemPressureFile} refused the MEMORY_PRESSURE_WRITE trigger: Invalid argument", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryStart_SystemPressureFile_SetsATriggerAndDisposeClosesItWithinASecond()
    {
        LinuxFiles.SkipUnlessLinux();
        Assert.SkipUnless(File.Exists(SystemPressureFile), $"no {SystemPressureFile} (a kernel without PSI, or booted with psi=0)");
        using var recorder = new SignalRecorder();
        // A 2 s window: the kernel takes it with or without CAP_SYS_RESOURCE (this machine's root has not got it).
        var source = new PsiPressureSource("some 300000 2000000", cgroup: NoV2Cgroup, getEnvironmentVariable: Environment());
        HashSet<string> before = LinuxFiles.DescriptorsOpenOn(SystemPressureFile);

        if (!source.TryStart(recorder.Signal, out string? reason))
        {
            source.Dispose();
            Assert.Skip($"cannot set a PSI trigger here: {reason}");
        }

        HashSet<string> ours = LinuxFiles.DescriptorsOpenOn(SystemPressureFile);
        ours.ExceptWith(before);
        Assert.Equal(SystemPressureFile, source.WatchedPath);
        Assert.True(source.IsWatching);
        Assert.Single(ours);

        var stopwatch = Stopwatch.StartNew();
        source.Dispose();
        stopwatch.Stop();
        recorder.Seal();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {stopwatch.Elapsed}");
        Assert.False(source.IsWatching);
        Assert.DoesNotContain(ours.Single(), LinuxFiles.DescriptorsOpenOn(SystemPressureFile));
        Assert.Equal(0, recorder.Late);
    }

    [Fact]
    public async Task TryStart_SystemPressureFileWhileAProcessStallsInAChildCgroup_SignalsModerate()
    {
        LinuxFiles.SkipUnlessLinux();
        Assert.SkipUnless(File.Exists(SystemPressureFile), $"no {SystemPressureFile} (a kernel without PSI, or booted with psi=0)");
        Assert.SkipUnless(File.Exists("/usr/bin/perl"), "no /usr/bin/perl to allocate memory in the child cgroup");
        using ChildMemoryCgroup child = ChildMemoryCgroup.Create();
        child.SetLimit(64L << 20);
        using var recorder = new SignalRecorder();
        using var source = new PsiPressureSource("some 150000 2000000", cgroup: NoV2Cgroup, getEnvironmentVariable: Environment());
        if (!source.TryStart(recorder.Signal, out string? reason))
        {
            Assert.Skip($"cannot set a PSI trigger here: {reason}");
        }

        // A process that reads a file twice the size of its cgroup's limit over and over, beside 16 MiB of its own,
        // thrashes the page cache: each read refaults pages evicted a moment before, and the waits count as memory
        // stalls. (Overrunning the limit with anonymous memory is not enough everywhere: with no swap and no file
        // pages, one machine here OOM-killed such a process after 2-7 ms of stall.) The file is written from inside the
        // cgroup, so its pages are charged there, on the test's own disk (a tmpfs page cannot be evicted without swap).
        // Measured on this 2-core VM: about 110 ms of stall per second of thrashing; the system-wide
        // "some 150000 2000000" fired in each run.
        string blob = Path.Combine(AppContext.BaseDirectory, $"psi-thrash-{System.Environment.ProcessId}.bin");
        try
        {
            int exit = await child.RunInsideAsync(
                $"sh -c 'dd if=/dev/zero of={blob} bs=1M count=128 status=none && " +
                $"perl -e \"my \\$a = 1 x (16 * 1024 * 1024); for (1..40) {{ open my \\$f, q(<), q({blob}) or die; " +
                "while (read(\\$f, my \\$b, 1 << 20)) {} close \\$f } print length \\$a\"'");

            await recorder.WaitAsync($"a process (exit code {exit}) thrashed the page cache in a 64 MiB cgroup");
        }
        finally
        {
            File.Delete(blob);
        }

        Assert.Equal(new MemoryPressureSignal("psi", MemoryPressureLevel.Moderate), recorder.All[0]);
    }

    [Fact]
    public void TryStart_DefaultTriggerOnSystemPressureFile_StartsWhenPrivilegedElseNamesTheTwoSecondRule()
    {
        LinuxFiles.SkipUnlessLinux();
        Assert.SkipUnless(File.Exists(SystemPressureFile), $"no {SystemPressureFile} (a kernel without PSI, or booted with psi=0)");
        using var source = new PsiPressureSource(cgroup: NoV2Cgroup, getEnvironmentVariable: Environment());

        if (source.TryStart(_ => { }, out string? reason))
        {
            Assert.True(source.IsWatching); // CAP_SYS_RESOURCE: a 1 s window is allowed
            return;
        }

        Assert.SkipWhen(reason.StartsWith("Cannot open", StringComparison.Ordinal), $"{SystemPressureFile} is not writable here: {reason}");
        Assert.Equal(
            $"{SystemPressureFile} refused the trigger \"{PsiPressureSource.DefaultTrigger}\": Invalid argument (without CAP_SYS_RESOURCE the window must be a multiple of 2 s, such as \"some 300000 2000000\").",
            reason);
    }

    [Fact]
    public void TryStart_CgroupV2WithMemoryPressure_PrefersTheCgroupsFile()
    {
        LinuxFiles.SkipUnlessLinux();
        // A plain file that reads like a PSI file: it takes the trigger and never reports POLLPRI, which is enough to
        // see which file was chosen (and that Dispose wakes a watcher that never saw an event).
        string file = Path.Combine(_dir, "memory.pressure");
        File.WriteAllText(file, "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        using var source = new PsiPressureSource(cgroup: CgroupMemory.ForDirectory(2, _dir, _dir), getEnvironmentVariable: Environment());

        Assert.True(source.TryStart(_ => { }, out string? reason), reason);

        Assert.Equal(file, source.WatchedPath);
        Assert.True(source.IsWatching);
        source.Dispose();
        Assert.False(source.IsWatching);
    }

    [Fact]
    public void TryStart_ExplicitPath_WinsOverSystemd()
    {
        LinuxFiles.SkipUnlessLinux();
        string fifo = Fifo();
        using var source = new PsiPressureSource(path: fifo, getEnvironmentVariable: Environment(watch: "/dev/null"));

        Assert.True(source.TryStart(_ => { }, out string? reason), reason);

        Assert.Equal(fifo, source.WatchedPath);
    }

    [Fact]
    public async Task TryStart_SystemdFifo_EachWriteSignalsModerateUntilDisposed()
    {
        LinuxFiles.SkipUnlessLinux();
        string fifo = Fifo();
        using var recorder = new SignalRecorder();
        var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: fifo));
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);
        Assert.Equal(fifo, source.WatchedPath);

        LinuxFiles.WriteToFifo(fifo, "pressure");
        await recorder.WaitAsync("after the first write");
        // The writer closed its end in between: the source's own write end keeps poll() from reporting a hang-up.
        LinuxFiles.WriteToFifo(fifo, "pressure again");
        await recorder.WaitAsync("after the second write");

        source.Dispose();
        recorder.Seal();

        Assert.Equal([new MemoryPressureSignal("psi", MemoryPressureLevel.Moderate), new MemoryPressureSignal("psi", MemoryPressureLevel.Moderate)], recorder.All);
        Assert.False(source.IsWatching);
        Assert.False(LinuxFiles.FifoHasReader(fifo), "the FIFO is still open for reading after Dispose");
        Assert.Equal(0, recorder.Late);
    }

    [Fact]
    public async Task TryStart_SystemdFifoWithAFullTrigger_SignalsCritical()
    {
        LinuxFiles.SkipUnlessLinux();
        string fifo = Fifo();
        using var recorder = new SignalRecorder();
        string write = Convert.ToBase64String("full 100000 2000000\0"u8);
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: fifo, write: write));
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        LinuxFiles.WriteToFifo(fifo, "x");
        await recorder.WaitAsync("after a write");

        Assert.Equal(new MemoryPressureSignal("psi", MemoryPressureLevel.Critical), recorder.All[0]);
    }

    [Fact]
    public async Task Dispose_WhileSignalsKeepArriving_NoSignalAfterItReturns()
    {
        LinuxFiles.SkipUnlessLinux();
        string fifo = Fifo();
        using var recorder = new SignalRecorder();
        var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: fifo));
        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);

        using var stop = new CancellationTokenSource();
        Task writer = Threaded.Start(() =>
        {
            // Until the reader is gone (Dispose closed it) or the test is done.
            while (!stop.IsCancellationRequested && LinuxFiles.TryWriteToFifo(fifo, "x"))
            {
            }
        });
        await recorder.WaitAsync("while the writer writes");

        source.Dispose();
        recorder.Seal();
        int seen = recorder.All.Count;
        await stop.CancelAsync();
        await Threaded.Within(writer, "the FIFO writer");

        Assert.Equal(0, recorder.Late);
        Assert.Equal(seen, recorder.All.Count);
        Assert.False(source.IsWatching);
    }

    [Fact]
    public async Task Dispose_FromTheSignalItself_StopsWithoutDeadlock()
    {
        LinuxFiles.SkipUnlessLinux();
        string fifo = Fifo();
        using var recorder = new SignalRecorder();
        PsiPressureSource? source = null;
        source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: fifo));
        Assert.True(
            source.TryStart(
                signal =>
                {
                    source.Dispose(); // on the watcher thread, inside the signal
                    recorder.Signal(signal);
                },
                out string? reason),
            reason);

        LinuxFiles.WriteToFifo(fifo, "x");
        await recorder.WaitAsync("the signal that disposes");

        Assert.True(SpinWait.SpinUntil(() => !source.IsWatching, Threaded.Timeout), "the watcher thread did not end");
        Assert.False(LinuxFiles.FifoHasReader(fifo));
    }

    [Fact]
    public async Task TryStart_SystemdSocket_WritesTheTriggerThenSignalsEachMessageUntilThePeerCloses()
    {
        LinuxFiles.SkipUnlessLinux();
        string path = Path.Combine(_dir, "pressure.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        byte[] trigger = Encoding.ASCII.GetBytes("full 100000 2000000\0");
        using var recorder = new SignalRecorder();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: path, write: Convert.ToBase64String(trigger)));

        Assert.True(source.TryStart(recorder.Signal, out string? reason), reason);
        using (Socket peer = await listener.AcceptAsync(TestContext.Current.CancellationToken))
        {
            byte[] received = new byte[trigger.Length];
            int length = 0;
            while (length < received.Length)
            {
                int read = await peer.ReceiveAsync(received.AsMemory(length), TestContext.Current.CancellationToken);
                Assert.True(read > 0, "the source closed before sending the trigger");
                length += read;
            }

            Assert.Equal(trigger, received);
            await peer.SendAsync("!"u8.ToArray(), TestContext.Current.CancellationToken);
            await recorder.WaitAsync("after the peer sent a byte");
        }

        Assert.Equal(new MemoryPressureSignal("psi", MemoryPressureLevel.Critical), recorder.All[0]);
        Assert.True(SpinWait.SpinUntil(() => !source.IsWatching, Threaded.Timeout), "the watch did not end when the peer closed");
    }

    [Fact]
    public void TryStart_Twice_Throws()
    {
        LinuxFiles.SkipUnlessLinux();
        using var source = new PsiPressureSource(getEnvironmentVariable: Environment(watch: Fifo()));
        Assert.True(source.TryStart(_ => { }, out string? reason), reason);

        Assert.Throws<InvalidOperationException>(() => source.TryStart(_ => { }, out _));
    }

    [Fact]
    public void TryStart_AfterDispose_Throws()
    {
        var source = new PsiPressureSource();
        source.Dispose();
        source.Dispose(); // twice is fine

        Assert.Throws<ObjectDisposedException>(() => source.TryStart(_ => { }, out _));
    }
}
