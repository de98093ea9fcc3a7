using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Reclaim.Internal.Native;

namespace Reclaim.Pressure;

/// <summary>What a source makes of the descriptors <c>poll()</c> found ready; runs on the watcher's thread.</summary>
/// <param name="watched">The source's descriptors, with <see cref="Libc.PollFd.Revents"/> set by this poll.</param>
/// <param name="level">The level to signal, or null for nothing to signal this time.</param>
/// <returns>False to stop watching for good (the file went away, the peer hung up), after signalling <paramref name="level"/> if set.</returns>
internal delegate bool PollReadyHandler(ReadOnlySpan<Libc.PollFd> watched, out MemoryPressureLevel? level);

/// <summary>The part of a watching source's lifecycle its sources share.</summary>
internal static class PressureWatcherLifecycle
{
    /// <summary>
    /// A source's Dispose: marks it disposed and takes its watcher under its gate (so a TryStart racing it either
    /// published its watcher first, and it is disposed here, or sees the source disposed and disposes its own), then
    /// disposes the watcher, if one was started (only ever on Linux).
    /// </summary>
    public static void DisposeOwned(Lock gate, ref bool disposed, ref PressureWatcher? watcher)
    {
        PressureWatcher? taken;
        lock (gate)
        {
            disposed = true;
            taken = watcher;
        }

        if (OperatingSystem.IsLinux())
        {
            taken?.Dispose();
        }
    }
}

/// <summary>
/// One dedicated background thread blocked in <c>poll()</c> on a source's descriptors plus an <c>eventfd</c> that
/// <see cref="Dispose"/> writes to, so stopping never waits for the next event. The pressure sources share it; each
/// supplies the descriptors, what to do when they are ready, and how to close them.
/// </summary>
/// <remarks>
/// <para>
/// Threading: the thread owns the watched descriptors from <see cref="Start"/> on and closes them when it ends, so no
/// descriptor is closed while poll() still waits on it (closing a polled descriptor from another thread is a race with
/// its number's reuse). The wake <c>eventfd</c> has two owners, the thread and <see cref="Dispose"/>, and whichever
/// is done with it last closes it, so <see cref="Dispose"/> never writes to a closed (or reused) descriptor.
/// </para>
/// <para>
/// The signal is called under a lock that <see cref="Dispose"/> also takes to mark the watcher stopped: a call in
/// flight finishes before <see cref="Dispose"/> goes on, and none starts after, which is the
/// <see cref="IMemoryPressureSource"/> promise. Nothing escapes the thread: an exception (from the signal or a
/// reading) ends the watch quietly, as a vanished file does.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class PressureWatcher : IDisposable
{

    // Generous: once woken the thread is out of poll() in microseconds; only a wedged system takes longer.
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly string _source;
    private readonly Action<MemoryPressureSignal> _signal;
    private readonly PollReadyHandler _onReady;
    private readonly Action _closeWatched;
    // The source's descriptors, then the wake eventfd last; allocated once, pinned for each poll().
    private readonly Libc.PollFd[] _fds;
    private readonly Thread _thread;
    private int _wakeFd;
    private int _wakeOwners = 2;
    private int _disposed;
    private volatile bool _stopping;

    private PressureWatcher(
        string source, string threadName, Libc.PollFd[] fds, PollReadyHandler onReady, Action closeWatched, Action<MemoryPressureSignal> signal)
    {
        _source = source;
        _signal = signal;
        _onReady = onReady;
        _closeWatched = closeWatched;
        _fds = fds;
        _wakeFd = fds[^1].Fd;
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
    }

    /// <summary>Whether the thread is still watching (false once it stopped: disposed, the file gone, an error).</summary>
    public bool IsWatching => _thread.IsAlive;

    /// <summary>Starts watching <paramref name="watched"/>; takes ownership of them either way.</summary>
    /// <param name="source">The source's name, for the signals.</param>
    /// <param name="threadName">The thread's name, for debuggers and dumps.</param>
    /// <param name="watched">The descriptors and the events to poll for.</param>
    /// <param name="onReady">What to do when poll() returns.</param>
    /// <param name="closeWatched">Closes the watched descriptors (and anything that goes with them); called once.</param>
    /// <param name="signal">The source's callback.</param>
    /// <param name="error">When it returns null: why (no eventfd).</param>
    /// <returns>The running watcher, or null (with the watched descriptors closed) when it could not start.</returns>
    public static PressureWatcher? Start(
        string source,
        string threadName,
        ReadOnlySpan<Libc.PollFd> watched,
        PollReadyHandler onReady,
        Action closeWatched,
        Action<MemoryPressureSignal> signal,
        out string? error)
    {
        int wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wakeFd < 0)
        {
            error = $"cannot create an eventfd: {Libc.ErrorText()}";
            closeWatched();
            return null;
        }

        var fds = new Libc.PollFd[watched.Length + 1];
        watched.CopyTo(fds);
        fds[^1] = new Libc.PollFd { Fd = wakeFd, Events = Libc.POLLIN };

        var watcher = new PressureWatcher(source, threadName, fds, onReady, closeWatched, signal);
        try
        {
            // UnsafeStart: the thread must not carry the starter's ExecutionContext (AsyncLocals, a test's context) for life.
            watcher._thread.UnsafeStart();
        }
        catch
        {
            // No thread (out of memory, or threads exhausted): nothing owns the descriptors but us.
            closeWatched();
            Libc.CloseQuietly(ref watcher._wakeFd);
            throw;
        }

        error = null;
        return watcher;
    }

    /// <summary>Stops the thread and waits for it; after it returns the signal is not called again.</summary>
    /// <remarks>
    /// Called from the signal itself (on the watcher's thread) it only marks the watcher stopped: the thread ends when
    /// the signal returns.
    /// </remarks>
    public void Dispose()
    {
        lock (_gate)
        {
            // Waits out a signal in flight; the thread checks the flag under the same lock before each signal. Every
            // caller does this, so a second, concurrent Dispose does not return while a signal still runs either.
            _stopping = true;
        }

        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Wake();
        if (Thread.CurrentThread != _thread)
        {
            // Only a wedged system misses this; the thread then still ends (and closes its descriptors) on its own,
            // and the signal cannot run again either way.
            _ = _thread.Join(JoinTimeout);
        }

        ReleaseWake();
    }

    private unsafe void Wake()
    {
        // eventfd(2): a write adds the 8-byte value to the counter and makes the descriptor readable.
        ulong one = 1;
        _ = Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private void ReleaseWake()
    {
        if (Interlocked.Decrement(ref _wakeOwners) == 0)
        {
            Libc.CloseQuietly(ref _wakeFd);
        }
    }

    private unsafe void Run()
    {
        int wake = _fds.Length - 1;
        try
        {
            while (true)
            {
                int ready;
                fixed (Libc.PollFd* fds = _fds)
                {
                    ready = Libc.Poll(fds, (nuint)_fds.Length, -1);
                }

                if (ready < 0)
                {
                    // EINTR: a signal (the runtime's own thread suspension uses them) interrupted the wait.
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                    {
                        continue;
                    }

                    return;
                }

                if (_fds[wake].Revents != 0 || _stopping)
                {
                    return;
                }

                bool keepGoing = _onReady(new ReadOnlySpan<Libc.PollFd>(_fds, 0, wake), out MemoryPressureLevel? level);
                if (level is { } pressure)
                {
                    lock (_gate)
                    {
                        if (_stopping)
                        {
                            return;
                        }

                        _signal(new MemoryPressureSignal(_source, pressure));
                    }
                }

                if (!keepGoing)
                {
                    return;
                }
            }
        }
#pragma warning disable CA1031 // Nothing may escape a background thread (it would end the process); the watch just ends.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            CloseWatched();
            ReleaseWake();
        }
    }

    private void CloseWatched()
    {
        try
        {
            _closeWatched();
        }
#pragma warning disable CA1031 // Closing is best effort: the thread is ending either way.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
