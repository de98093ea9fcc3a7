using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Reclaim.Internal;
using Reclaim.Internal.Native;

namespace Reclaim.Pressure;

/// <summary>
/// Pressure Stall Information: a kernel trigger that fires when tasks stalled on memory for more than a threshold within
/// a window (<c>some 150000 1000000</c>: 150 ms in any 1 s). Signals <see cref="MemoryPressureLevel.Moderate"/> for a
/// <c>some</c> trigger (at least one task stalled) and <see cref="MemoryPressureLevel.Critical"/> for a <c>full</c>
/// trigger (every non-idle task stalled at once).
/// </summary>
/// <remarks>
/// <para>
/// Which file: the one given; else systemd's <c>$MEMORY_PRESSURE_WATCH</c> (with <c>$MEMORY_PRESSURE_WRITE</c>, the
/// base64 of what to write to it, in place of the trigger), so a service follows the unit's <c>MemoryPressureWatch=</c>
/// and <c>MemoryPressureThresholdSec=</c>; else the process's cgroup v2 <c>memory.pressure</c> (stalls of this
/// cgroup's tasks only); else the system-wide <c>/proc/pressure/memory</c>. A PSI file is opened read-write, the trigger
/// written to it, and polled for <c>POLLPRI</c>; the trigger lives as long as the descriptor. systemd may hand out a FIFO
/// or a Unix socket instead (it does in tests, and a supervisor can relay pressure that way): those are read, and any
/// data is an event, <see cref="MemoryPressureLevel.Moderate"/> unless <c>$MEMORY_PRESSURE_WRITE</c> holds a
/// <c>full</c> trigger. A socket is sent <c>$MEMORY_PRESSURE_WRITE</c> on connecting; a FIFO, opened read-only, is not.
/// </para>
/// <para>
/// Privilege: without <c>CAP_SYS_RESOURCE</c> (any unprivileged user, most containers, and a root that lacks the
/// capability) the kernel takes only windows that are a multiple of 2 s, and refuses the default 1 s window with
/// EINVAL (measured on this project's CI machine, as root). The source then sets the same share of stall over the next
/// whole 2 s window (<c>some 300000 2000000</c> for the default; systemd's own default is <c>some 200000 2000000</c> for
/// the same reason) and <see cref="EffectiveTrigger"/> says so; only if that is refused too does <see cref="TryStart"/>
/// fail, with the reason.
/// </para>
/// <para>
/// Threading: <see cref="TryStart"/> starts one background thread ("Reclaim PSI watcher") that blocks in
/// <c>poll()</c> and calls the signal from there; <see cref="Dispose"/> wakes it through an <c>eventfd</c>, waits for it,
/// and from then on the signal is not called. The kernel rate-limits a trigger to one event per window, so the signal
/// comes at most once a window (a second at the default).
/// </para>
/// </remarks>
internal sealed class PsiPressureSource : IMemoryPressureSource
{
    /// <summary>150 ms stalled (some task) in any 1 s window: the kernel documentation's example, and the default.</summary>
    public const string DefaultTrigger = "some 150000 1000000";

    /// <summary>systemd's variable naming the file, FIFO or socket to watch (<c>/dev/null</c>: watching is turned off).</summary>
    public const string WatchVariable = "MEMORY_PRESSURE_WATCH";

    /// <summary>systemd's variable holding the base64 of the bytes to write to the watched file (the trigger).</summary>
    public const string WriteVariable = "MEMORY_PRESSURE_WRITE";

    private const string SystemPressureFile = "/proc/pressure/memory";

    // psi_trigger_create(): the window must be 500 ms..10 s, the stall 1 µs..window.
    private const long MinWindowMicroseconds = 500_000;
    private const long MaxWindowMicroseconds = 10_000_000;

    private readonly Lock _lifecycle = new();
    private readonly string _trigger;
    private readonly byte[] _triggerBytes;
    private readonly MemoryPressureLevel _triggerLevel;
    private readonly long _windowMicroseconds;
    private readonly string? _path;
    private readonly CgroupMemory? _cgroup;
    private readonly Func<string, string?> _getEnvironmentVariable;
    private PressureWatcher? _watcher;
    private bool _disposed;

    /// <summary>Creates a PSI source; nothing is opened until <see cref="TryStart"/>.</summary>
    /// <param name="trigger"><c>some|full &lt;stall µs&gt; &lt;window µs&gt;</c>, window 500000..10000000, stall 1..window.</param>
    /// <param name="path">The pressure file (or FIFO, or socket) to watch; null to choose as the remarks say.</param>
    /// <param name="cgroup">The process's memory cgroup; null to detect it (used only when <paramref name="path"/> is null).</param>
    /// <param name="getEnvironmentVariable">Reads the systemd variables; null for <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="trigger"/> breaks one of the rules above.</exception>
    public PsiPressureSource(
        string trigger = DefaultTrigger,
        string? path = null,
        CgroupMemory? cgroup = null,
        Func<string, string?>? getEnvironmentVariable = null)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        _triggerLevel = ValidateTrigger(trigger, nameof(trigger), out _windowMicroseconds);
        _trigger = trigger;
        // psi_write() overwrites the last byte it is given with a NUL: written without one, the window loses its last
        // digit. The kernel documentation's example writes strlen(trig) + 1 bytes for this reason.
        _triggerBytes = Encoding.ASCII.GetBytes(trigger + "\0");
        _path = path;
        _cgroup = cgroup;
        _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
    }

    /// <inheritdoc/>
    public string Name => "psi";

    /// <summary>What is watched once started (a PSI file, a FIFO or a socket), for logs and tests; null before.</summary>
    public string? WatchedPath { get; private set; }

    /// <summary>
    /// The trigger set once started: the one given, or, where the kernel refused its window for want of
    /// CAP_SYS_RESOURCE, the same share of stall over the next whole 2 s window. Null before start or when systemd's
    /// own trigger was written.
    /// </summary>
    public string? EffectiveTrigger { get; private set; }

    /// <summary>Whether the watcher thread is running (false before start, after dispose, and once the file went away).</summary>
    public bool IsWatching => OperatingSystem.IsLinux() && _watcher is { IsWatching: true };

    /// <summary>Checks a trigger's text: <c>some|full &lt;stall µs&gt; &lt;window µs&gt;</c> within the kernel's limits.</summary>
    /// <param name="trigger">The text.</param>
    /// <param name="paramName">The parameter to name in the exception.</param>
    /// <param name="windowMicroseconds">The window.</param>
    /// <returns><see cref="MemoryPressureLevel.Moderate"/> for <c>some</c>, <see cref="MemoryPressureLevel.Critical"/> for <c>full</c>.</returns>
    /// <exception cref="ArgumentException">The text breaks a rule; the message says which.</exception>
    internal static MemoryPressureLevel ValidateTrigger(string trigger, string paramName, out long windowMicroseconds)
    {
        ReadOnlySpan<char> text = trigger.AsSpan();
        Span<Range> parts = stackalloc Range[4];
        int count = text.Split(parts, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count != 3)
        {
            Throw.Argument(paramName, $"A PSI trigger is \"some|full <stall_us> <window_us>\", such as \"{DefaultTrigger}\"; got \"{trigger}\".");
        }

        ReadOnlySpan<char> kind = text[parts[0]];
        bool some = kind.SequenceEqual("some");
        if (!some && !kind.SequenceEqual("full"))
        {
            Throw.Argument(paramName, $"A PSI trigger starts with \"some\" (a task stalled) or \"full\" (all stalled); got \"{trigger}\".");
        }

        long stall = 0, window = 0;
        if (!long.TryParse(text[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out stall) ||
            !long.TryParse(text[parts[2]], NumberStyles.None, CultureInfo.InvariantCulture, out window))
        {
            Throw.Argument(paramName, $"A PSI trigger's stall and window are whole microseconds, such as \"{DefaultTrigger}\"; got \"{trigger}\".");
        }

        if (window < MinWindowMicroseconds || window > MaxWindowMicroseconds)
        {
            Throw.Argument(
                paramName,
                $"A PSI trigger's window must be {MinWindowMicroseconds}..{MaxWindowMicroseconds} us (0.5 s to 10 s); got {window} in \"{trigger}\".");
        }

        if (stall < 1 || stall > window)
        {
            Throw.Argument(paramName, $"A PSI trigger's stall must be 1..window ({window}) us; got {stall} in \"{trigger}\".");
        }

        windowMicroseconds = window;
        return some ? MemoryPressureLevel.Moderate : MemoryPressureLevel.Critical;
    }

    /// <inheritdoc/>
    public bool TryStart(Action<MemoryPressureSignal> signal, [NotNullWhen(false)] out string? unsupportedReason)
    {
        ArgumentNullException.ThrowIfNull(signal);
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_watcher is not null)
            {
                Throw.InvalidOperation("The PSI source is already started.");
            }

            if (!OperatingSystem.IsLinux())
            {
                unsupportedReason = "PSI (pressure stall information) is Linux-only.";
                return false;
            }

            if (!TryChooseFile(out string? path, out bool fromSystemd, out unsupportedReason))
            {
                return false;
            }

            byte[]? written = null;
            MemoryPressureLevel level = _triggerLevel;
            if (fromSystemd && !TryReadSystemdWrite(out written, ref level, out unsupportedReason))
            {
                return false;
            }

            if (!Libc.TryGetFileType(path, out int type, out string? error))
            {
                unsupportedReason = $"Cannot watch {path}: {error}.";
                return false;
            }

            PressureWatcher? watcher = type switch
            {
                Libc.S_IFREG => StartPsiFile(path, written ?? _triggerBytes, written is null ? _trigger : null, level, signal, out unsupportedReason),
                Libc.S_IFIFO => StartFifo(path, written is null ? MemoryPressureLevel.Moderate : level, signal, out unsupportedReason),
                Libc.S_IFSOCK => StartSocket(path, written, written is null ? MemoryPressureLevel.Moderate : level, signal, out unsupportedReason),
                _ => NotWatchable(path, out unsupportedReason),
            };

            if (watcher is null)
            {
                unsupportedReason ??= $"Cannot watch {path}.";
                return false;
            }

            _watcher = watcher;
            WatchedPath = path;
            return true;
        }
    }

    /// <summary>Stops the watcher thread and closes the file; after it returns no signal comes.</summary>
    public void Dispose() => PressureWatcherLifecycle.DisposeOwned(_lifecycle, ref _disposed, ref _watcher);

    private bool TryChooseFile([NotNullWhen(true)] out string? path, out bool fromSystemd, [NotNullWhen(false)] out string? reason)
    {
        fromSystemd = false;
        reason = null;
        if (_path is not null)
        {
            path = _path;
            return true;
        }

        path = _getEnvironmentVariable(WatchVariable);
        if (path is not null)
        {
            // systemd: MemoryPressureWatch=off (or no PSI) sets it to /dev/null; sd-event also takes empty for off.
            if (path.Length == 0 || path == "/dev/null")
            {
                reason = $"{WatchVariable} is \"{path}\": the service manager turned memory pressure watching off.";
                path = null;
                return false;
            }

            if (!Path.IsPathFullyQualified(path))
            {
                reason = $"{WatchVariable} is not an absolute path: \"{path}\".";
                path = null;
                return false;
            }

            fromSystemd = true;
            return true;
        }

        // The cgroup's own file counts only this cgroup's stalls (a container's, a service's), not the machine's.
        CgroupMemory? cgroup = _cgroup ?? CgroupMemory.Detect();
        if (cgroup is { Version: 2 })
        {
            string cgroupFile = Path.Combine(cgroup.Directory, "memory.pressure");
            if (File.Exists(cgroupFile))
            {
                path = cgroupFile;
                return true;
            }
        }

        path = SystemPressureFile;
        return true;
    }

    private bool TryReadSystemdWrite(out byte[]? written, ref MemoryPressureLevel level, [NotNullWhen(false)] out string? reason)
    {
        written = null;
        reason = null;
        string? base64 = _getEnvironmentVariable(WriteVariable);
        if (string.IsNullOrEmpty(base64))
        {
            return true;
        }

        try
        {
            written = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            reason = $"{WriteVariable} is not base64: \"{base64}\".";
            return false;
        }

        // systemd writes a PSI trigger ("some 200000 2000000" by default); a "full" one means every task stalled.
        if (written.AsSpan().StartsWith("full"u8))
        {
            level = MemoryPressureLevel.Critical;
        }
        else if (written.AsSpan().StartsWith("some"u8))
        {
            level = MemoryPressureLevel.Moderate;
        }

        return true;
    }

    private static PressureWatcher? NotWatchable(string path, out string reason)
    {
        reason = $"{path} is not a PSI file, a FIFO or a socket.";
        return null;
    }

    [SupportedOSPlatform("linux")]
    private PressureWatcher? StartPsiFile(
        string path, byte[] trigger, string? triggerText, MemoryPressureLevel level, Action<MemoryPressureSignal> signal, out string? reason)
    {
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            reason = $"Cannot open {path} read-write: {Libc.ErrorText()}.";
            return null;
        }

        // A regular file would take the trigger and then never report POLLPRI: make sure it is a PSI file, which reads
        // "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" (reading leaves no state behind that the write minds).
        Span<byte> head = stackalloc byte[16];
        int read = Libc.ReadSome(fd, head);
        if (read < "some avg10="u8.Length || !head[.."some avg10="u8.Length].SequenceEqual("some avg10="u8))
        {
            Libc.CloseQuietly(ref fd);
            reason = $"{path} is not a PSI file (it does not read \"some avg10=...\").";
            return null;
        }

        bool written = Libc.WriteAll(fd, trigger);
        if (!written && triggerText is not null && Marshal.GetLastPInvokeError() == EInval && UnprivilegedTrigger(triggerText) is { } fallback)
        {
            // Without CAP_SYS_RESOURCE only whole 2 s windows are taken: keep the same share of stall over 2 s instead
            // of giving up (150 ms in 1 s becomes 300 ms in 2 s). EffectiveTrigger says which one is set.
            written = Libc.WriteAll(fd, Encoding.ASCII.GetBytes(fallback + "\0"));
            if (written)
            {
                EffectiveTrigger = fallback;
            }
        }

        if (!written)
        {
            string error = Libc.ErrorText();
            Libc.CloseQuietly(ref fd);
            // psi_trigger_create(): without CAP_SYS_RESOURCE (an unprivileged user, most containers, even a root
            // without that capability) the window must be a multiple of 2 s, or the write fails with EINVAL.
            reason = triggerText is null
                ? $"{path} refused the {WriteVariable} trigger: {error}."
                : _windowMicroseconds % 2_000_000 != 0
                    ? $"{path} refused the trigger \"{triggerText}\": {error} (without CAP_SYS_RESOURCE the window must be a multiple of 2 s, such as \"some 300000 2000000\")."
                    : $"{path} refused the trigger \"{triggerText}\": {error}.";
            return null;
        }

        Libc.PollFd[] watched = [new Libc.PollFd { Fd = fd, Events = Libc.POLLPRI }];
        return PressureWatcher.Start(
            Name,
            "Reclaim PSI watcher",
            watched,
            (ReadOnlySpan<Libc.PollFd> ready, out MemoryPressureLevel? signalled) =>
            {
                short revents = ready[0].Revents;
                // POLLERR: the trigger is gone (its cgroup was removed); there will be no more events.
                if ((revents & (Libc.POLLERR | Libc.POLLNVAL | Libc.POLLHUP)) != 0)
                {
                    signalled = null;
                    return false;
                }

                signalled = (revents & Libc.POLLPRI) != 0 ? level : null;
                return true;
            },
            () => Libc.CloseQuietly(ref fd),
            signal,
            out reason);
    }

    [SupportedOSPlatform("linux")]
    private PressureWatcher? StartFifo(string path, MemoryPressureLevel level, Action<MemoryPressureSignal> signal, out string? reason)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            reason = $"Cannot open the FIFO {path}: {Libc.ErrorText()}.";
            return null;
        }

        // A FIFO whose last writer closed reports POLLHUP on every poll() until a writer opens it again: holding a
        // write end of our own (never written) keeps poll() asleep between writers. It opens at once, as we read.
        int keeper = Libc.Open(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (keeper < 0)
        {
            reason = $"Cannot open the FIFO {path} for writing: {Libc.ErrorText()}.";
            Libc.CloseQuietly(ref fd);
            return null;
        }

        byte[] buffer = new byte[256];
        Libc.PollFd[] watched = [new Libc.PollFd { Fd = fd, Events = Libc.POLLIN }];
        return PressureWatcher.Start(
            Name,
            "Reclaim PSI watcher",
            watched,
            (ReadOnlySpan<Libc.PollFd> ready, out MemoryPressureLevel? signalled) =>
            {
                signalled = null;
                short revents = ready[0].Revents;
                if ((revents & Libc.POLLIN) != 0 && Drain(ready[0].Fd, buffer) > 0)
                {
                    signalled = level;
                }

                return (revents & (Libc.POLLERR | Libc.POLLNVAL | Libc.POLLHUP)) == 0;
            },
            () =>
            {
                Libc.CloseQuietly(ref fd);
                Libc.CloseQuietly(ref keeper);
            },
            signal,
            out reason);
    }

    [SupportedOSPlatform("linux")]
    private PressureWatcher? StartSocket(string path, byte[]? written, MemoryPressureLevel level, Action<MemoryPressureSignal> signal, out string? reason)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            if (written is not null)
            {
                socket.Send(written);
            }

            // Drained with read(2) on the watcher's thread until EAGAIN, so it must not block.
            socket.Blocking = false;
        }
        catch (Exception exception) when (exception is SocketException or ArgumentException)
        {
            // ArgumentException: a path longer than sockaddr_un holds (108 bytes).
            socket.Dispose();
            reason = $"Cannot connect to the socket {path}: {exception.Message}";
            return null;
        }

        // The socket stays owned by the Socket (closed by its Dispose on the watcher's thread); poll() and read() use
        // its descriptor, which lives as long as the Socket does.
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        byte[] buffer = new byte[256];
        Libc.PollFd[] watched = [new Libc.PollFd { Fd = fd, Events = Libc.POLLIN }];
        return PressureWatcher.Start(
            Name,
            "Reclaim PSI watcher",
            watched,
            (ReadOnlySpan<Libc.PollFd> ready, out MemoryPressureLevel? signalled) =>
            {
                signalled = null;
                short revents = ready[0].Revents;
                if ((revents & Libc.POLLIN) != 0)
                {
                    int read = Drain(ready[0].Fd, buffer);
                    if (read > 0)
                    {
                        signalled = level;
                    }

                    if (read == 0)
                    {
                        return false; // the peer closed the connection
                    }
                }

                return (revents & (Libc.POLLERR | Libc.POLLNVAL | Libc.POLLHUP)) == 0;
            },
            socket.Dispose,
            signal,
            out reason);
    }

    /// <summary>Reads and discards what is there; returns the bytes read, 0 at end of file, -1 when nothing was there.</summary>
    [SupportedOSPlatform("linux")]
    private static int Drain(int fd, byte[] buffer)
    {
        int total = -1;
        while (true)
        {
            int read = Libc.ReadSome(fd, buffer);
            if (read <= 0)
            {
                // 0: end of file (a socket's peer closed); -1: EAGAIN, drained (or an error the next poll reports).
                return read == 0 && total <= 0 ? 0 : total;
            }

            total = Math.Max(total, 0) + read;
        }
    }

    private const int EInval = 22;

    /// <summary>The trigger with its window rounded up to whole 2 s and its stall scaled alike; null when already whole.</summary>
    internal static string? UnprivilegedTrigger(string trigger)
    {
        string[] parts = trigger.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long stall) ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long window) ||
            window <= 0 || window % 2_000_000 == 0)
        {
            return null;
        }

        long wider = (window + 1_999_999) / 2_000_000 * 2_000_000;
        long scaled = Math.Min(wider, stall * wider / window);
        return string.Create(CultureInfo.InvariantCulture, $"{parts[0]} {scaled} {wider}");
    }
}
