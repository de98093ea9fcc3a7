using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using Reclaim.Internal;
using Reclaim.Internal.Native;

namespace Reclaim.Pressure;

/// <summary>
/// The memory cgroup's own notifications. v2: <c>memory.events</c>, watched with inotify; a rise in <c>high</c> is
/// <see cref="MemoryPressureLevel.Moderate"/>, a rise in <c>max</c>, <c>oom</c> or <c>oom_kill</c> is
/// <see cref="MemoryPressureLevel.Critical"/>. v1: <c>memory.pressure_level</c>, one eventfd registered through
/// <c>cgroup.event_control</c> for <c>medium</c> (<see cref="MemoryPressureLevel.Moderate"/>) and one for
/// <c>critical</c> (<see cref="MemoryPressureLevel.Critical"/>).
/// </summary>
/// <remarks>
/// <para>
/// What each level means. v1's vmpressure rates each reclaim pass in the cgroup by how much of what it scanned it could
/// not free (medium from 60 %, critical from 95 % or when reclaim is down to its last priorities); a listener for a
/// level also hears the levels above it, so a critical event wakes both eventfds and is signalled once, as critical.
/// Events fire for the cgroup whose limit reclaim works against and, by default, its ancestors (unless a descendant
/// listened first): a limit set only on an ancestor is not seen here. v2's <c>memory.events</c> counts the events of
/// the cgroup and its descendants, and kernfs raises <c>IN_MODIFY</c> on it whenever a counter moves.
/// </para>
/// <para>
/// Threading: <see cref="TryStart"/> starts one background thread ("Reclaim cgroup watcher") that blocks in
/// <c>poll()</c> and calls the signal from there; <see cref="Dispose"/> wakes it through an <c>eventfd</c>, waits for it,
/// and from then on the signal is not called. Closing the v1 eventfds unregisters them; when the cgroup is removed the
/// kernel signals them once more, which is recognised (the directory is gone) and ends the watch without a signal.
/// </para>
/// </remarks>
internal sealed class CgroupEventsPressureSource : IMemoryPressureSource
{
    private const string ThreadName = "Reclaim cgroup watcher";

    // memory.events is about a hundred bytes (seven "key value" lines); room for many more keys to come.
    private const int EventsBufferSize = 1024;

    private readonly Lock _lifecycle = new();
    private readonly CgroupMemory? _cgroup;
    private PressureWatcher? _watcher;
    private bool _disposed;

    /// <summary>Creates a cgroup source; nothing is opened until <see cref="TryStart"/>.</summary>
    /// <param name="cgroup">The memory cgroup to watch; null for the process's own (<see cref="CgroupMemory.Detect"/>).</param>
    public CgroupEventsPressureSource(CgroupMemory? cgroup = null) => _cgroup = cgroup;

    /// <inheritdoc/>
    public string Name => "cgroup";

    /// <summary>The cgroup version being watched once started (1 or 2); 0 before.</summary>
    public int WatchedVersion { get; private set; }

    /// <summary>Whether the watcher thread is running (false before start, after dispose, and once the cgroup went away).</summary>
    public bool IsWatching => OperatingSystem.IsLinux() && _watcher is { IsWatching: true };

    /// <summary>Parses the text of a cgroup v2 <c>memory.events</c> file (<c>key value</c> lines) without allocating.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="counters">The counters; keys that are missing (<c>oom_kill</c> before Linux 4.13) read 0.</param>
    /// <returns>False when <c>high</c> or <c>max</c> is missing or a known key's value is not a number.</returns>
    internal static bool TryParseMemoryEvents(ReadOnlySpan<char> text, out MemoryEventCounters counters)
    {
        counters = default;
        // low, high, max, oom, oom_kill; -1 marks the two that must be there.
        Span<long> values = [0, -1, -1, 0, 0];
        foreach (ReadOnlySpan<char> rawLine in text.EnumerateLines())
        {
            ReadOnlySpan<char> line = rawLine.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            int space = line.IndexOf(' ');
            if (space <= 0)
            {
                return false;
            }

            int slot = line[..space] switch
            {
                "low" => 0,
                "high" => 1,
                "max" => 2,
                "oom" => 3,
                "oom_kill" => 4,
                _ => -1, // oom_group_kill, sock_throttled, and whatever later kernels add
            };
            if (slot < 0)
            {
                continue;
            }

            if (!long.TryParse(line[(space + 1)..].TrimStart(), NumberStyles.None, CultureInfo.InvariantCulture, out values[slot]))
            {
                return false;
            }
        }

        if (values[1] < 0 || values[2] < 0)
        {
            return false;
        }

        counters = new MemoryEventCounters(values[0], values[1], values[2], values[3], values[4]);
        return true;
    }

    /// <summary>What a change of <c>memory.events</c> means.</summary>
    /// <param name="previous">The counters before.</param>
    /// <param name="current">The counters now.</param>
    /// <returns>
    /// <see cref="MemoryPressureLevel.Critical"/> when <c>max</c>, <c>oom</c> or <c>oom_kill</c> rose (the cgroup is
    /// at its hard limit); <see cref="MemoryPressureLevel.Moderate"/> when only <c>high</c> rose (throttled over
    /// <c>memory.high</c>); null otherwise (<c>low</c> and the rest are not this cgroup's shortage).
    /// </returns>
    internal static MemoryPressureLevel? LevelForChange(in MemoryEventCounters previous, in MemoryEventCounters current)
    {
        if (current.Max > previous.Max || current.Oom > previous.Oom || current.OomKill > previous.OomKill)
        {
            return MemoryPressureLevel.Critical;
        }

        return current.High > previous.High ? MemoryPressureLevel.Moderate : null;
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
                Throw.InvalidOperation("The cgroup source is already started.");
            }

            if (!OperatingSystem.IsLinux())
            {
                unsupportedReason = "Memory cgroups are Linux-only.";
                return false;
            }

            CgroupMemory? cgroup = _cgroup ?? CgroupMemory.Detect();
            if (cgroup is null)
            {
                unsupportedReason = "No memory cgroup: /proc/self/cgroup names no memory controller, or its hierarchy is not mounted.";
                return false;
            }

            PressureWatcher? watcher = cgroup.Version == 1
                ? StartV1(cgroup.Directory, signal, out unsupportedReason)
                : StartV2(cgroup.Directory, signal, out unsupportedReason);
            if (watcher is null)
            {
                unsupportedReason ??= $"Cannot watch the memory cgroup {cgroup.Directory}.";
                return false;
            }

            _watcher = watcher;
            WatchedVersion = cgroup.Version;
            return true;
        }
    }

    /// <summary>Stops the watcher thread and closes (and so unregisters) its descriptors; after it returns no signal comes.</summary>
    public void Dispose() => PressureWatcherLifecycle.DisposeOwned(_lifecycle, ref _disposed, ref _watcher);

    [SupportedOSPlatform("linux")]
    private PressureWatcher? StartV1(string directory, Action<MemoryPressureSignal> signal, out string? reason)
    {
        string levelFile = Path.Combine(directory, "memory.pressure_level");
        string controlFile = Path.Combine(directory, "cgroup.event_control");
        ReadOnlySpan<string> levelNames = ["medium", "critical"];
        MemoryPressureLevel[] levels = [MemoryPressureLevel.Moderate, MemoryPressureLevel.Critical];
        int[] eventFds = [-1, -1];
        int levelFd = -1, controlFd = -1;
        bool registered = false;
        try
        {
            levelFd = Libc.Open(levelFile, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (levelFd < 0)
            {
                reason = $"Cannot open {levelFile}: {Libc.ErrorText()}.";
                return null;
            }

            controlFd = Libc.Open(controlFile, Libc.O_WRONLY | Libc.O_CLOEXEC);
            if (controlFd < 0)
            {
                reason = $"Cannot open {controlFile} for writing: {Libc.ErrorText()}.";
                return null;
            }

            for (int i = 0; i < eventFds.Length; i++)
            {
                eventFds[i] = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
                if (eventFds[i] < 0)
                {
                    reason = $"Cannot create an eventfd: {Libc.ErrorText()}.";
                    return null;
                }

                // "<event_fd> <fd of memory.pressure_level> <level>", NUL-terminated as the kernel's own
                // cgroup_event_listener writes it (cgroup-v1/memory.rst, "Memory Pressure").
                string registration = string.Create(CultureInfo.InvariantCulture, $"{eventFds[i]} {levelFd} {levelNames[i]}");
                if (!Libc.WriteAll(controlFd, Encoding.ASCII.GetBytes(registration + "\0")))
                {
                    reason = $"{controlFile} refused \"{registration}\": {Libc.ErrorText()}.";
                    return null;
                }
            }

            registered = true;
        }
        finally
        {
            // The registration holds its own references to the cgroup and the eventfd; these two are only the means.
            Libc.CloseQuietly(ref levelFd);
            Libc.CloseQuietly(ref controlFd);
            if (!registered)
            {
                // Closing an eventfd unregisters whatever was registered with it.
                for (int i = 0; i < eventFds.Length; i++)
                {
                    Libc.CloseQuietly(ref eventFds[i]);
                }
            }
        }

        reason = null;
        Libc.PollFd[] watched = new Libc.PollFd[eventFds.Length];
        for (int i = 0; i < eventFds.Length; i++)
        {
            watched[i] = new Libc.PollFd { Fd = eventFds[i], Events = Libc.POLLIN };
        }

        return PressureWatcher.Start(
            Name,
            ThreadName,
            watched,
            (ReadOnlySpan<Libc.PollFd> ready, out MemoryPressureLevel? signalled) =>
            {
                signalled = null;
                Span<byte> counter = stackalloc byte[sizeof(ulong)];
                for (int i = 0; i < ready.Length; i++)
                {
                    if ((ready[i].Revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0)
                    {
                        return false;
                    }

                    // eventfd(2): an 8-byte read returns the count of events since the last read and resets it.
                    if ((ready[i].Revents & Libc.POLLIN) != 0 && Libc.ReadSome(ready[i].Fd, counter) == sizeof(ulong) &&
                        (signalled is null || levels[i] > signalled))
                    {
                        signalled = levels[i];
                    }
                }

                // Removing the cgroup signals every registered eventfd once; it is not pressure, and nothing follows.
                // (statx rather than Directory.Exists: no allocation while the directory is there.)
                if (signalled is not null && !Libc.TryGetFileType(directory, out _, out _))
                {
                    signalled = null;
                    return false;
                }

                return true;
            },
            () =>
            {
                for (int i = 0; i < eventFds.Length; i++)
                {
                    Libc.CloseQuietly(ref eventFds[i]);
                }
            },
            signal,
            out reason);
    }

    [SupportedOSPlatform("linux")]
    private PressureWatcher? StartV2(string directory, Action<MemoryPressureSignal> signal, out string? reason)
    {
        string eventsFile = Path.Combine(directory, "memory.events");
        byte[] bytes = new byte[EventsBufferSize];
        char[] chars = new char[EventsBufferSize];
        if (!TryReadMemoryEvents(eventsFile, bytes, chars, out MemoryEventCounters previous, out string? error))
        {
            reason = error;
            return null;
        }

        // inotify rather than FileSystemWatcher: the latter watches a directory and filters names, which on cgroupfs
        // costs a directory watch for one file and has proven unreliable there; a watch on the file itself is exact.
        int inotifyFd = Libc.InotifyInit1(Libc.IN_CLOEXEC | Libc.IN_NONBLOCK);
        if (inotifyFd < 0)
        {
            reason = $"Cannot create an inotify instance: {Libc.ErrorText()}.";
            return null;
        }

        if (Libc.InotifyAddWatch(inotifyFd, eventsFile, Libc.IN_MODIFY | Libc.IN_DELETE_SELF) < 0)
        {
            reason = $"Cannot watch {eventsFile} with inotify: {Libc.ErrorText()}.";
            Libc.CloseQuietly(ref inotifyFd);
            return null;
        }

        // Room for a few dozen events per read; the rest wait for the next (inotify(7) merges repeated IN_MODIFY anyway).
        byte[] inotifyBuffer = new byte[Libc.InotifyEventHeaderSize * 32];
        Libc.PollFd[] watched = [new Libc.PollFd { Fd = inotifyFd, Events = Libc.POLLIN }];
        return PressureWatcher.Start(
            Name,
            ThreadName,
            watched,
            (ReadOnlySpan<Libc.PollFd> ready, out MemoryPressureLevel? signalled) =>
            {
                signalled = null;
                short revents = ready[0].Revents;
                if ((revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0)
                {
                    return false;
                }

                if ((revents & Libc.POLLIN) == 0)
                {
                    return true;
                }

                if (!DrainInotify(ready[0].Fd, inotifyBuffer))
                {
                    return false; // the file is gone: its cgroup was removed
                }

                // A reading between a writer's truncate and its write (only ever a plain file in tests) does not parse:
                // keep the previous counters; the write's own IN_MODIFY follows.
                if (TryReadMemoryEvents(eventsFile, bytes, chars, out MemoryEventCounters current, out _))
                {
                    signalled = LevelForChange(previous, current);
                    previous = current;
                }

                return true;
            },
            () => Libc.CloseQuietly(ref inotifyFd),
            signal,
            out reason);
    }

    /// <summary>Reads the queued inotify events; false when the watch is gone (the file or its cgroup was removed).</summary>
    [SupportedOSPlatform("linux")]
    private static bool DrainInotify(int fd, byte[] buffer)
    {
        bool alive = true;
        while (true)
        {
            int read = Libc.ReadSome(fd, buffer);
            if (read <= 0)
            {
                return alive;
            }

            // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }, back to back.
            for (int offset = 0; offset + Libc.InotifyEventHeaderSize <= read;)
            {
                uint mask = BitConverter.ToUInt32(buffer, offset + 4);
                uint nameLength = BitConverter.ToUInt32(buffer, offset + 12);
                if ((mask & (Libc.IN_IGNORED | Libc.IN_DELETE_SELF)) != 0)
                {
                    alive = false;
                }

                offset += Libc.InotifyEventHeaderSize + (int)nameLength;
            }
        }
    }

    /// <summary>Reads and parses <c>memory.events</c> into the given buffers (no allocation but the error text).</summary>
    [SupportedOSPlatform("linux")]
    private static bool TryReadMemoryEvents(
        string file, byte[] bytes, char[] chars, out MemoryEventCounters counters, [NotNullWhen(false)] out string? error)
    {
        counters = default;
        // Opened afresh each time: a cgroup file's contents are produced at read time, from the start of the file.
        int fd = Libc.Open(file, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            error = $"Cannot open {file}: {Libc.ErrorText()}.";
            return false;
        }

        int length = 0;
        try
        {
            while (length < bytes.Length)
            {
                int read = Libc.ReadSome(fd, bytes.AsSpan(length));
                if (read < 0)
                {
                    error = $"Cannot read {file}: {Libc.ErrorText()}.";
                    return false;
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        finally
        {
            Libc.CloseQuietly(ref fd);
        }

        // The file is ASCII: widen each byte rather than go through an Encoding.
        for (int i = 0; i < length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        if (!TryParseMemoryEvents(chars.AsSpan(0, length), out counters))
        {
            error = $"{file} does not read as memory.events (\"high <n>\", \"max <n>\" lines).";
            return false;
        }

        error = null;
        return true;
    }
}
