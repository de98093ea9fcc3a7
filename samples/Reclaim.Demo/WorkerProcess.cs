using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Reclaim.Diagnostics;
using Reclaim.Pressure;

namespace Reclaim.Demo;

/// <summary>
/// The workload process (the hidden <c>--worker</c> mode, started by the demo as its child under a memory limit): the
/// <see cref="CacheService"/> under a <see cref="Reclaimer"/> over <see cref="ShrinkerRegistry.Default"/> with default
/// options (none with <c>--no-reclaim</c>), the debug endpoint for <c>dotnet-reclaim</c>, and the clients.
/// </summary>
/// <remarks>
/// It writes one JSON line per report on standard output (<see cref="WorkerReport"/>): a start report, a snapshot every
/// 250 ms, and a final snapshot when it ran its whole duration (exit code 0). When it runs out of memory it stops the
/// clients, writes a failure report (<see cref="FailureReport"/>; trying again after a collection, then after dropping
/// every cache, if even that line cannot be allocated) and exits with <see cref="OutOfMemoryExitCode"/>; any other
/// failure the same way with <see cref="FailedExitCode"/>.
/// </remarks>
internal sealed class WorkerProcess : IDisposable
{
    public const int OutOfMemoryExitCode = 3;
    public const int FailedExitCode = 1;

    private static readonly TimeSpan s_snapshotInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_peakInterval = TimeSpan.FromMilliseconds(10);

    private readonly DemoOptions _options;
    private readonly ShrinkerRegistry _registry = ShrinkerRegistry.Default;
    private readonly Stopwatch _clock = new();
    private readonly ManualResetEventSlim _wake = new(initialState: false);
    private readonly object _failureGate = new();
    private volatile bool _stopping;
    private Exception? _failure;
    private double _failedAt;
    private long _failedUsage;
    private long _peakLive;
    private long _peakCommitted;
    private long _limit;
    private int _reporting;
    private long _runTicks;
    private long _runBytesFreed;
    private LastRunReading? _lastRun;
    private Workload? _workload;

    private WorkerProcess(DemoOptions options) => _options = options;

    private double Elapsed => _clock.Elapsed.TotalSeconds;

    /// <summary>Runs the workload; returns its exit code (or exits the process after a failure).</summary>
    /// <param name="options">The options (duration, tenants, threads, seed, reclaim).</param>
    /// <param name="cancellationToken">Ends the run early (Ctrl+C), as if its duration were over.</param>
    public static int Run(DemoOptions options, CancellationToken cancellationToken)
    {
        using var worker = new WorkerProcess(options);
        return worker.Execute(cancellationToken);
    }

    public void Dispose() => _wake.Dispose();

    private int Execute(CancellationToken cancellationToken)
    {
        // Threads without a catch of ours (the thread pool, the reclaimer's thread) end the run the same way.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Fail(e.ExceptionObject as Exception ?? new InvalidOperationException("unknown failure"));
            ReportFailureAndExit();
        };
        using CancellationTokenRegistration stop = cancellationToken.Register(() =>
        {
            _stopping = true;
            _wake.Set();
        });

        _clock.Start();
        try
        {
            return RunWorkload();
        }
        catch (OutOfMemoryException exception)
        {
            Fail(exception);
            ReportFailureAndExit();
            return OutOfMemoryExitCode;
        }
    }

    private int RunWorkload()
    {
        using Reclaimer? reclaimer = _options.Reclaim ? new Reclaimer(_registry) : null;
        if (reclaimer is not null)
        {
            reclaimer.RunCompleted += OnRunCompleted;
            reclaimer.Start();
        }

        _limit = reclaimer?.Limit.Bytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        using var service = new CacheService(_registry, _options.Tenants, _limit);
        using var endpoint = new ReclaimDiagnosticServer(_registry, reclaimer, new ReclaimDiagnosticServerOptions { Enabled = true });
        endpoint.Start();
        Write(new StartReport(
            Environment.ProcessId,
            endpoint.Endpoint,
            _limit,
            reclaimer is null ? RuntimeLimitSource() : Describe(reclaimer.Limit.Source),
            reclaimer is null ? null : new WatermarkFractions(reclaimer.TargetWatermark, reclaimer.StartWatermark, reclaimer.DirectWatermark),
            reclaimer is null ? [] : [.. reclaimer.Sources.Where(s => s.IsActive).Select(s => s.Name)],
            [.. service.Tenants.Select(t => t.Describe())],
            _options.Threads,
            _options.Duration.TotalSeconds));

        var workload = new Workload(service, _options.Threads, _options.Seed, Fail);
        _workload = workload;
        var peakThread = new Thread(TrackPeak) { IsBackground = true, Name = "peak usage" };
        peakThread.Start();
        workload.Start();

        TimeSpan next = s_snapshotInterval;
        while (!_stopping && _clock.Elapsed < _options.Duration)
        {
            TimeSpan wait = (next < _options.Duration ? next : _options.Duration) - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                _wake.Wait(wait);
            }

            if (Volatile.Read(ref _failure) is not null)
            {
                ReportFailureAndExit();
            }

            if (_clock.Elapsed >= next && _clock.Elapsed < _options.Duration)
            {
                Write(Take(service, workload, reclaimer, final: false));
                while (next <= _clock.Elapsed)
                {
                    next += s_snapshotInterval; // a late wake-up (behind a GC pause) skips what it missed
                }
            }
        }

        _stopping = true;
        bool stopped = workload.Stop(TimeSpan.FromSeconds(10));
        if (Volatile.Read(ref _failure) is not null)
        {
            ReportFailureAndExit();
        }

        if (!stopped)
        {
            Console.Error.WriteLine("warning: a client thread did not stop within 10 s");
        }

        Write(Take(service, workload, reclaimer, final: true));
        return 0;
    }

    private Snapshot Take(CacheService service, Workload workload, Reclaimer? reclaimer, bool final)
    {
        // Counters first, sizes after: a request counted here has its hit or miss counted already.
        long requests = workload.Requests;
        long usage = GC.GetTotalMemory(forceFullCollection: false);
        GCMemoryInfo info = RaisePeaks();
        long objectsFreed = 0;
        double callbackMs = 0;
        foreach (Shrinker shrinker in service.Shrinkers())
        {
            ShrinkerStatistics s = shrinker.GetStatistics();
            objectsFreed += s.ObjectsFreed;
            callbackMs += s.TimeInCallbacks.TotalMilliseconds;
        }

        return new Snapshot(
            Elapsed,
            final,
            new MemoryReading(usage, _limit, info.HeapSizeBytes, Volatile.Read(ref _peakLive), info.TotalCommittedBytes,
                Volatile.Read(ref _peakCommitted), _registry.Root.Usage, reclaimer?.Level.ToString() ?? "off"),
            requests,
            workload.WrongValues,
            [.. service.Tenants.Select(t => t.Read())],
            service.ReadCatalog(),
            service.ReadPool(),
            new ReclaimReading(
                reclaimer?.RunCount ?? 0,
                TimeSpan.FromTicks(Interlocked.Read(ref _runTicks)).TotalMilliseconds,
                Interlocked.Read(ref _runBytesFreed),
                reclaimer?.InducedCollectionCount ?? 0,
                objectsFreed,
                callbackMs,
                Volatile.Read(ref _lastRun)),
            new GcReading(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalMilliseconds));
    }

    /// <summary>On the reclaimer's thread after each background run: totals for the snapshots.</summary>
    private void OnRunCompleted(object? sender, ReclaimRun run)
    {
        Interlocked.Add(ref _runTicks, run.Duration.Ticks);
        Interlocked.Add(ref _runBytesFreed, run.Result.BytesFreed);
        Volatile.Write(ref _lastRun, new LastRunReading(run.Trigger, run.Result.BytesFreed, run.Result.ObjectsFreed, run.Duration.TotalMilliseconds, Elapsed));
    }

    /// <summary>Records the first failure and wakes the main thread. Allocates nothing: it runs just after an OutOfMemoryException.</summary>
    private void Fail(Exception exception)
    {
        lock (_failureGate)
        {
            if (_failure is null)
            {
                _failedAt = Elapsed;
                _failedUsage = GC.GetTotalMemory(forceFullCollection: false);
                Volatile.Write(ref _failure, exception);
            }
        }

        _stopping = true;
        _wake.Set();
    }

    /// <summary>Stops the clients, writes the failure report and exits. Any thread; the first to get here reports, the others wait for the exit.</summary>
    [DoesNotReturn]
    private void ReportFailureAndExit()
    {
        _stopping = true;
        _workload?.RequestStop();
        if (Interlocked.Exchange(ref _reporting, 1) != 0)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        Exception? failure = Volatile.Read(ref _failure);
        bool outOfMemory = failure is OutOfMemoryException;
        WriteAfterFailure(() => DemoJson.Write(new FailureReport(
            _failedAt, failure?.GetType().Name ?? "unknown", failure?.Message ?? string.Empty, _failedUsage, Volatile.Read(ref _peakLive), _limit)));
        if (!outOfMemory && failure is not null)
        {
            WriteAfterFailure(failure.ToString, Console.Error);
        }

        Environment.Exit(outOfMemory ? OutOfMemoryExitCode : FailedExitCode);
    }

    /// <summary>
    /// Writes a line just after an OutOfMemoryException: when even that fails, lets a collection find room (the clients
    /// have stopped) and tries again, and at last drops every cache to make room.
    /// </summary>
    private void WriteAfterFailure(Func<string> line, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                writer.WriteLine(line());
                writer.Flush();
                return;
            }
            catch (OutOfMemoryException)
            {
                if (attempt > 0)
                {
                    _registry.DropCaches();
                }

                GC.Collect();
            }
        }
    }

    /// <summary>The peaks of live data and of committed memory, read every 10 ms: the snapshots alone would miss some collections.</summary>
    private void TrackPeak()
    {
        try
        {
            while (!_stopping)
            {
                RaisePeaks();
                Thread.Sleep(s_peakInterval);
            }
        }
        catch (OutOfMemoryException exception)
        {
            Fail(exception);
        }
    }

    /// <summary>Reads the last collections' figures and raises the peaks to them; returns the last collection's.</summary>
    private GCMemoryInfo RaisePeaks()
    {
        // Live data is what a full collection leaves less its fragmentation; a full collection is a background one (the
        // default for gen2) or a blocking one (induced, or when memory is short).
        Raise(ref _peakLive, LiveBytes(GC.GetGCMemoryInfo(GCKind.Background)));
        Raise(ref _peakLive, LiveBytes(GC.GetGCMemoryInfo(GCKind.FullBlocking)));
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        Raise(ref _peakCommitted, info.TotalCommittedBytes);
        return info;
    }

    private static long LiveBytes(GCMemoryInfo info) => Math.Max(0, info.HeapSizeBytes - info.FragmentedBytes);

    private static void Raise(ref long peak, long value)
    {
        long seen = Volatile.Read(ref peak);
        while (value > seen)
        {
            long before = Interlocked.CompareExchange(ref peak, value, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    private static void Write(WorkerReport report) => Console.Out.WriteLine(DemoJson.Write(report));

    private static string Describe(MemoryLimitSource source) => source switch
    {
        MemoryLimitSource.GCHeapHardLimit => "GC heap hard limit",
        MemoryLimitSource.CgroupV1 => "cgroup v1 memory limit",
        MemoryLimitSource.CgroupV2 => "cgroup v2 memory.max",
        MemoryLimitSource.PhysicalMemory => "physical memory",
        _ => "explicit",
    };

    /// <summary>Without a reclaimer: the runtime's limit is the heap hard limit when one is set (or derived from a cgroup), else the machine's memory.</summary>
    private static string RuntimeLimitSource() =>
        GC.GetConfigurationVariables().TryGetValue("GCHeapHardLimit", out object? value) && value is not null &&
        Convert.ToUInt64(value, CultureInfo.InvariantCulture) != 0
            ? "GC heap hard limit"
            : "physical memory";
}
