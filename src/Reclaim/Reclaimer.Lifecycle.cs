using Reclaim.Pressure;

namespace Reclaim;

// Start, stop, the background thread and the pressure sources.
public sealed partial class Reclaimer
{
    private Thread? _thread;
    private ITimer? _samplingTimer;
    private volatile bool _stopping;
    private bool _disposed;
    private IReadOnlyList<MemoryPressureSourceStatus> _sourceStatuses = [];

    /// <summary>
    /// Starts background reclaim: the reclaimer's thread, the sampling timer and the pressure sources. A source that
    /// cannot run here is left out and <see cref="Sources"/> says why.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already started, or stopped (a reclaimer starts once).</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public void Start()
    {
        lock (_lifecycleGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_thread is not null)
            {
                Internal.Throw.InvalidOperation("The reclaimer was already started; a reclaimer starts once.");
            }

            _thread = new Thread(RunLoop) { IsBackground = true, Name = "Reclaim reclaimer" };
            _thread.Start();

            var statuses = new List<MemoryPressureSourceStatus>(_sources.Count);
            foreach (IMemoryPressureSource source in _sources)
            {
                statuses.Add(StartSource(source));
            }

            _sourceStatuses = statuses.AsReadOnly();
            // On the system clock the thread samples by waiting with a timeout: a timer costs ~0.4 ms of CPU per tick
            // in the runtime's timer thread and a pool thread (measured, bench/README.md), the wait ~50 us. Another
            // clock (a fake one in tests) drives sampling through its own timer.
            if (_samplingInterval > TimeSpan.Zero && !ReferenceEquals(_time, TimeProvider.System))
            {
                _samplingTimer = _time.CreateTimer(static state => ((Reclaimer)state!).Wake(), this, _samplingInterval, _samplingInterval);
            }
        }
    }

    /// <summary>
    /// Stops background reclaim: the sources, the timer and the thread (waiting for a run in progress to finish). Direct
    /// reclaim keeps working. Calling it again does nothing.
    /// </summary>
    /// <remarks>
    /// Called on the reclaimer's own thread (from a <see cref="PressureChanged"/> handler, a subscriber, or a shrinker
    /// callback of a background run) it cannot wait for itself: a run already in progress finishes after it returns,
    /// and no other step or run starts.
    /// </remarks>
    public void Stop()
    {
        Thread? thread;
        lock (_lifecycleGate)
        {
            thread = _thread;
            bool first = !_stopping;
            _stopping = true;
            if (thread is null)
            {
                return;
            }

            if (first)
            {
                _samplingTimer?.Dispose();
                foreach (IMemoryPressureSource source in _sources)
                {
                    DisposeSource(source);
                }

                _wake.Set();
            }
        }

        // Every caller waits for the thread, not only the first: Dispose after a concurrent Stop must not dispose the
        // wake-up event under a thread still finishing its run.
        if (thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        // Without readings the line would go stale: charges go back to their groups' own limits.
        Registry.Root.SetPressureLine(Groups.MemoryGroup.Unlimited);
    }

    /// <summary>Stops background reclaim (<see cref="Stop"/>) and completes every subscriber.</summary>
    public void Dispose()
    {
        Stop();
        lock (_lifecycleGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        CompleteObservers();
        _wake.Dispose();
        (_reader as IDisposable)?.Dispose();
    }

    private MemoryPressureSourceStatus StartSource(IMemoryPressureSource source)
    {
        try
        {
            return source.TryStart(_onSignal, out string? reason)
                ? new MemoryPressureSourceStatus(source.Name, true, null)
                : new MemoryPressureSourceStatus(source.Name, false, reason);
        }
#pragma warning disable CA1031 // A source that fails to start is left out with its reason; the others still run.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return new MemoryPressureSourceStatus(source.Name, false, $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    private static void DisposeSource(IMemoryPressureSource source)
    {
        try
        {
            source.Dispose();
        }
#pragma warning disable CA1031 // Stopping goes on through the other sources.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static List<IMemoryPressureSource> CreateSources(ReclaimerOptions options)
    {
        var sources = new List<IMemoryPressureSource>();
        if (options.UseGen2CollectionSignal)
        {
            sources.Add(new Gen2CollectionPressureSource());
        }

        AddPlatformSources(options, sources);
        sources.AddRange(options.Sources);
        return sources;
    }

    /// <summary>The Linux sources (cgroup notifications, PSI), where turned on.</summary>
    static partial void AddPlatformSources(ReclaimerOptions options, List<IMemoryPressureSource> sources);

    /// <summary>The reclaimer's thread: wait for a wake-up, take a reading, reclaim if needed.</summary>
    private void RunLoop()
    {
        int timeout = _samplingInterval > TimeSpan.Zero && ReferenceEquals(_time, TimeProvider.System)
            ? (int)Math.Clamp(_samplingInterval.TotalMilliseconds, 1, int.MaxValue)
            : Timeout.Infinite;
        // A reading at once, not after the first interval: until one is taken charges have no pressure line, and a cache
        // filling at hundreds of MB/s from start-up can reach the limit within that interval (measured: 1 death at
        // 0.48 s in 6 runs under a 256 MiB heap limit).
        bool first = true;
        while (true)
        {
            try
            {
                if (!first)
                {
                    _wake.WaitOne(timeout);
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (ThreadInterruptedException exception)
            {
                // Code that ran on this thread (a shrinker callback, a handler) interrupted it; the interrupt waited for
                // this wait. Unhandled, it would end the thread and with it the process: report it and go on.
                Registry.Reporter.ReclaimerFailed(exception);
            }

            first = false;
            if (_stopping)
            {
                return;
            }

            try
            {
                Step();
            }
#pragma warning disable CA1031 // The background thread must survive anything; the failure is reported and the next wake-up tries again.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Registry.Reporter.ReclaimerFailed(exception);
            }
        }
    }
}
