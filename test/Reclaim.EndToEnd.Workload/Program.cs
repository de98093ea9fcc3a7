using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Reclaim.Pressure;

namespace Reclaim.EndToEnd.Workload;

/// <summary>
/// The end-to-end workload: worker threads read through a cache, keys drawn Zipf(0.9) over a large key space, values
/// of 1 to 16 KiB; the full working set is many times any limit the tests set. The cache is one of the pressure
/// benchmark's peers (<c>--cache</c>, <see cref="CacheKind"/>). For the two with a shrinker (<c>shrinkable</c>, the
/// default, and <c>memorycache-shrinker</c>) a <see cref="Reclaimer"/> over <see cref="ShrinkerRegistry.Default"/> keeps
/// the cache within the process's limit, unless <c>--reclaim off</c>; then, like the plain <c>memorycache</c> and
/// <c>runtime-caching</c>, the cache only grows. <c>memorycache-sized</c> holds to its own <c>--size-limit</c>.
/// </summary>
/// <remarks>
/// Output, one line each, <c>key=value</c> fields, invariant culture:
/// <list type="bullet">
/// <item><c>start ...</c>: the settings and the limit the runtime sees; <c>source ...</c>: the reclaimer's pressure sources.</item>
/// <item><c>sample t=... heap=... total=... usage=... peak=... window_peak=... limit=... limit_in_force=... above_direct_s=... level=... entries=... ...</c> every 250 ms.</item>
/// <item><c>limit_lowered ...</c> / <c>limit_lower_failed ...</c>: the heap hard limit lowered at run time.</item>
/// <item><c>run ...</c>: a background reclaim run (with <c>--log-runs</c>).</item>
/// <item><c>summary survived=true ...</c> and exit code 0; or <c>summary survived=false reason=... t=...</c> and exit code 3.
/// Both carry the same counters (ops, hits, misses, hit rate, GC counts, the peak, the time above the direct line, when
/// the limit was lowered) so a death compares with a survival.</item>
/// </list>
/// Exit code 2: bad arguments.
/// <para>
/// Measures: <c>usage</c> and <c>peak_usage</c> are <see cref="GC.GetTotalMemory(bool)"/> without a collection (the
/// managed heap, garbage not yet collected included: the reclaimer's own measure for a heap hard limit), the peak read
/// every 10 ms; <c>heap</c> and <c>committed</c> are <see cref="GC.GetGCMemoryInfo()"/>'s, as of the last collection;
/// <c>rusage</c> and <c>charged</c> are the reclaimer's <see cref="Reclaimer.ReadUsage"/>; <c>cgroup</c> is the process's
/// memory cgroup usage (-1 when there is none); <c>limit</c> is the reclaimer's limit, or the runtime's without one.
/// </para>
/// <para>
/// The peak tracker (every 10 ms, <see cref="GC.GetTotalMemory(bool)"/>) measures the same for every peer, reclaimer or
/// not: <c>window_peak</c> (the highest reading since the previous sample), <c>above_direct_s</c> (the time its readings
/// were above <see cref="WorkloadRun.DirectLine"/> = 0.90 of <c>limit_in_force</c>: the runtime's limit at the start, the
/// requested one from <c>--lower-limit-at</c> on, whether or not the runtime has accepted it yet; <c>lowered_at</c> in
/// the summary says when that was, -1 for never).
/// </para>
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        WorkloadOptions? options = WorkloadOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(WorkloadOptions.Usage);
            return 2;
        }

        using var run = new WorkloadRun(options);
        return run.Execute();
    }
}

/// <summary>One run of the workload: the workers, the sampling loop, the limit change and the summary.</summary>
internal sealed class WorkloadRun : IDisposable
{
    public const int OutOfMemoryExitCode = 3;

    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PeakInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The direct watermark the time above is measured against, for every peer (the reclaimer's default).</summary>
    public const double DirectLine = 0.90;

    private readonly WorkloadOptions _options;
    private readonly Stopwatch _clock = new();
    private readonly ManualResetEventSlim _wake = new(initialState: false);
    private readonly CgroupProbe _cgroup = CgroupProbe.ForThisProcess();
    private readonly object _failureGate = new();
    private volatile bool _stopping;
    private Exception? _failure;
    private double _failedAt;
    private long _peakUsage;
    private long _peakHeapAfterGc;
    private long _peakCommittedAfterGc;
    private int _lowerAttempts;
    private int _reporting;
    private bool _limitLowered;
    private WorkloadCache? _cache;
    private Reclaimer? _reclaimer;
    private Worker[] _workers = [];

    // Written by the main thread (limit, lowering), read by the peak tracker.
    private long _limitInForce;
    private long _loweredAtTicks = -1;

    // Written by the peak tracker only (the window peak is also reset by the sampler).
    private long _windowPeak;
    private long _aboveDirectTicks;

    public WorkloadRun(WorkloadOptions options) => _options = options;

    private double Elapsed => _clock.Elapsed.TotalSeconds;

    public void Dispose() => _wake.Dispose();

    public int Execute()
    {
        // Threads other than ours (the thread pool, timers) have no catch of our own: an OOM there ends the run too.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is Exception exception)
            {
                Fail(exception);
                ReportFailureAndExit();
            }
        };

        _clock.Start();
        try
        {
            return Run();
        }
        catch (OutOfMemoryException exception)
        {
            Fail(exception);
            ReportFailureAndExit();
            return OutOfMemoryExitCode;
        }
    }

    private ReclaimerOptions ReclaimerOptions()
    {
        var options = new ReclaimerOptions();
        if (_options.SamplingMilliseconds is { } sampling)
        {
            options.SamplingInterval = TimeSpan.FromMilliseconds(sampling);
        }

        if (_options.Watermarks is [double target, double start, double direct])
        {
            (options.TargetWatermark, options.StartWatermark, options.DirectWatermark) = (target, start, direct);
        }

        return options;
    }

    private int Run()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        Volatile.Write(ref _limitInForce, info.TotalAvailableMemoryBytes);
        Print($"start pid={Environment.ProcessId} reclaim={(_options.Reclaim ? "on" : "off")} cache={_options.Cache.Name()} " +
              $"size_limit={_options.SizeLimit} direct_line={DirectLine:F2} " +
              $"threads={_options.Threads} keys={_options.Keys} seconds={_options.Seconds} gc_server={GCSettings.IsServerGC} " +
              $"gc_concurrent={GCSettings.LatencyMode != GCLatencyMode.Batch} heap_hard_limit={HeapHardLimit()} " +
              $"total_available={info.TotalAvailableMemoryBytes} cgroup={_cgroup.Describe()}");

        using WorkloadCache cache = WorkloadCache.Create(_options);
        using Reclaimer? reclaimer = _options.Reclaim ? new Reclaimer(ShrinkerRegistry.Default, ReclaimerOptions()) : null;
        _cache = cache;
        _reclaimer = reclaimer;
        if (reclaimer is not null)
        {
            if (_options.LogRuns)
            {
                reclaimer.RunCompleted += (_, run) => PrintRun(run);
            }

            reclaimer.Start();
            Print($"reclaimer limit={reclaimer.Limit.Bytes} source={reclaimer.Limit.Source}");
            foreach (MemoryPressureSourceStatus source in reclaimer.Sources)
            {
                Print($"source name={source.Name} active={source.IsActive} reason=\"{source.UnsupportedReason}\"");
            }
        }

        var workers = new Worker[_options.Threads];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(i, _options, cache, () => _stopping, Fail);
        }

        _workers = workers;

        var peakThread = new Thread(TrackPeak) { IsBackground = true, Name = "e2e peak usage" };
        peakThread.Start();
        foreach (Worker worker in workers)
        {
            worker.Start();
        }

        TimeSpan end = TimeSpan.FromSeconds(_options.Seconds);
        TimeSpan next = SampleInterval;
        while (true)
        {
            TimeSpan wait = (next < end ? next : end) - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                _wake.Wait(wait);
            }

            if (Volatile.Read(ref _failure) is not null)
            {
                ReportFailureAndExit();
            }

            if (_clock.Elapsed >= end)
            {
                break;
            }

            if (_clock.Elapsed < next)
            {
                continue;
            }

            LowerLimitIfDue(reclaimer);
            PrintSample(cache, workers, reclaimer);
            while (next <= _clock.Elapsed)
            {
                // A late wake-up (the main thread waits behind GC pauses too) skips the samples it missed.
                next += SampleInterval;
            }
        }

        _stopping = true;
        foreach (Worker worker in workers)
        {
            if (!worker.Join(TimeSpan.FromSeconds(10)))
            {
                Print("warning: a worker did not stop within 10 s");
            }
        }

        if (Volatile.Read(ref _failure) is not null)
        {
            ReportFailureAndExit();
        }

        PrintSample(cache, workers, reclaimer);
        PrintSummary(cache, workers, reclaimer);
        return 0;
    }

    /// <summary>Records the first failure and wakes the main thread. Allocation-free (it runs just after an OOM).</summary>
    private void Fail(Exception exception)
    {
        lock (_failureGate)
        {
            if (_failure is null)
            {
                _failedAt = Elapsed;
                Volatile.Write(ref _failure, exception);
            }
        }

        _stopping = true;
        _wake.Set();
    }

    /// <summary>
    /// Prints the failure summary and exits with <see cref="OutOfMemoryExitCode"/>. Any thread; the first to get here
    /// reports, the others wait for the exit.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ReportFailureAndExit()
    {
        _stopping = true;
        if (Interlocked.Exchange(ref _reporting, 1) != 0)
        {
            Thread.Sleep(Timeout.Infinite);
        }

        Exception? failure = Volatile.Read(ref _failure);
        string reason = failure?.GetType().Name ?? "unknown";
        WriteAfterFailure(() => string.Create(CultureInfo.InvariantCulture,
            $"summary survived=false reason={reason} t={_failedAt:F2} peak_usage={Volatile.Read(ref _peakUsage)} {Counters(_workers, _reclaimer, _failedAt)}"));
        WriteAfterFailure(DescribeFailure);
        if (failure is not null and not OutOfMemoryException)
        {
            WriteAfterFailure(failure.ToString, Console.Error);
        }

        Environment.Exit(OutOfMemoryExitCode);
    }

    /// <summary>Writes a line just after an OOM: when even that fails, lets the collector find room (the workers have stopped) and tries once more.</summary>
    private static void WriteAfterFailure(Func<string> line, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                writer.WriteLine(line());
                writer.Flush();
                return;
            }
            catch (OutOfMemoryException)
            {
                GC.Collect();
            }
        }
    }

    /// <summary>What the process looked like when it failed: for the reclaimer's author (after the summary, in case it fails).</summary>
    private string DescribeFailure()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        Reclaimer? reclaimer = _reclaimer;
        ReclaimRun? last = reclaimer?.LastRun;
        return $"failure t={_failedAt:F2} total={GC.GetTotalMemory(false)} heap={info.HeapSizeBytes} committed={info.TotalCommittedBytes} " +
               $"fragmented={info.FragmentedBytes} limit={info.TotalAvailableMemoryBytes} entries={_cache?.Entries ?? -1} bytes={_cache?.Bytes ?? -1} " +
               $"level={reclaimer?.Level.ToString() ?? "off"} runs={reclaimer?.RunCount ?? 0} induced={reclaimer?.InducedCollectionCount ?? 0} " +
               $"pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} last_run=\"{(last is { } run ? DescribeRun(run) : "none")}\" " +
               $"message=\"{Volatile.Read(ref _failure)?.Message}\"";
    }

    /// <summary>
    /// The peak of the managed heap (garbage included), read every 10 ms: the 250 ms samples miss short peaks. Also the
    /// window peak and the time above the direct line (see the class remarks). Allocates nothing.
    /// </summary>
    private void TrackPeak()
    {
        try
        {
            long previous = _clock.ElapsedTicks;
            while (!_stopping)
            {
                long usage = GC.GetTotalMemory(forceFullCollection: false);
                long now = _clock.ElapsedTicks;
                if (usage > Volatile.Read(ref _peakUsage))
                {
                    Volatile.Write(ref _peakUsage, usage);
                }

                RaiseTo(ref _windowPeak, usage);
                long limit = Volatile.Read(ref _limitInForce);
                if (usage > limit * DirectLine)
                {
                    // The interval that ends with this reading (measured: a GC pause may have stretched it).
                    Volatile.Write(ref _aboveDirectTicks, _aboveDirectTicks + (now - previous));
                }

                previous = now;
                Thread.Sleep(PeakInterval);
            }
        }
        catch (OutOfMemoryException exception)
        {
            Fail(exception);
        }
    }

    /// <summary>Raises <paramref name="location"/> to <paramref name="value"/> if it is higher (a compare-and-swap loop: the sampler resets the window peak concurrently).</summary>
    private static void RaiseTo(ref long location, long value)
    {
        long current = Volatile.Read(ref location);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// At <c>--lower-limit-at</c>: sets the new heap hard limit, <see cref="GC.RefreshMemoryLimit"/>, then
    /// <see cref="Reclaimer.RefreshLimit"/>. The runtime refuses a limit below what the heap has committed (the usual case
    /// when lowering under load); then the reclaimer is told at once (it reads the configured limit) and, at each later
    /// sample, a blocking aggressive collection (which compacts and decommits: only the runtime can give committed memory
    /// back) is followed by another try. Every attempt is printed.
    /// </summary>
    private void LowerLimitIfDue(Reclaimer? reclaimer)
    {
        if (_limitLowered || _options.LowerLimitAt is not { } at || Elapsed < at)
        {
            return;
        }

        long bytes = _options.LowerLimitTo;
        int attempt = ++_lowerAttempts;
        string collected = string.Empty;
        if (attempt == 1)
        {
            // The operator's new limit is in force from now on for the measures, accepted by the runtime yet or not.
            Volatile.Write(ref _limitInForce, bytes);
            Volatile.Write(ref _loweredAtTicks, _clock.ElapsedTicks);
            AppContext.SetData("GCHeapHardLimit", (ulong)bytes);
        }
        else
        {
            long before = GC.GetGCMemoryInfo().TotalCommittedBytes;
            var pause = Stopwatch.StartNew();
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            collected = $" collected=aggressive committed_before={before} committed_after={GC.GetGCMemoryInfo().TotalCommittedBytes} collect_ms={pause.Elapsed.TotalMilliseconds:F0}";
        }

        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException exception)
        {
            GCMemoryInfo info = GC.GetGCMemoryInfo();
            MemoryLimit? believed = attempt == 1 ? reclaimer?.RefreshLimit() : reclaimer?.Limit;
            Print($"limit_lower_failed t={Elapsed:F2} attempt={attempt} requested={bytes} total={GC.GetTotalMemory(false)} " +
                  $"committed={info.TotalCommittedBytes} total_available={info.TotalAvailableMemoryBytes} heap_hard_limit={HeapHardLimit()} " +
                  $"reclaimer_limit={believed?.Bytes ?? -1} charged={_cache?.Bytes ?? -1}{collected} error=\"{exception.Message}\"");
            return;
        }

        _limitLowered = true;
        MemoryLimit? limit = reclaimer?.RefreshLimit();
        Print($"limit_lowered t={Elapsed:F2} attempt={attempt} requested={bytes} total_available={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes} " +
              $"heap_hard_limit={HeapHardLimit()} reclaimer_limit={limit?.Bytes ?? -1} reclaimer_source={limit?.Source.ToString() ?? "none"}{collected}");
    }

    private void PrintSample(WorkloadCache cache, Worker[] workers, Reclaimer? reclaimer)
    {
        (long ops, long misses, long corrupt) = Totals(workers);
        long total = GC.GetTotalMemory(forceFullCollection: false);
        if (total > Volatile.Read(ref _peakUsage))
        {
            Volatile.Write(ref _peakUsage, total);
        }

        GCMemoryInfo info = GC.GetGCMemoryInfo();
        _peakHeapAfterGc = Math.Max(_peakHeapAfterGc, info.HeapSizeBytes);
        _peakCommittedAfterGc = Math.Max(_peakCommittedAfterGc, info.TotalCommittedBytes);
        MemoryUsage? usage = reclaimer?.ReadUsage();
        long windowPeak = Math.Max(Interlocked.Exchange(ref _windowPeak, 0), total);
        Print($"sample t={Elapsed:F2} heap={info.HeapSizeBytes} total={total} usage={total} peak={Volatile.Read(ref _peakUsage)} " +
              $"window_peak={windowPeak} limit={Limit(reclaimer)} limit_in_force={Volatile.Read(ref _limitInForce)} " +
              $"above_direct_s={Seconds(Volatile.Read(ref _aboveDirectTicks)):F2} level={reclaimer?.Level.ToString() ?? "off"} rusage={usage?.Bytes ?? -1} " +
              $"charged={usage?.ChargedBytes ?? -1} committed={info.TotalCommittedBytes} cgroup={_cgroup.ReadUsage()} " +
              $"entries={cache.Entries} bytes={cache.Bytes} evicted={cache.Evicted} hits={ops - misses} misses={misses} ops={ops} " +
              $"corrupt={corrupt} runs={reclaimer?.RunCount ?? 0} induced={reclaimer?.InducedCollectionCount ?? 0} " +
              $"gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} " +
              $"pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0}");
    }

    private void PrintSummary(WorkloadCache cache, Worker[] workers, Reclaimer? reclaimer)
    {
        double seconds = Elapsed;
        Print($"summary survived=true peak_usage={Volatile.Read(ref _peakUsage)} limit={Limit(reclaimer)} " +
              $"peak_heap_after_gc={_peakHeapAfterGc} peak_committed_after_gc={_peakCommittedAfterGc} " +
              $"limit_source={reclaimer?.Limit.Source.ToString() ?? "none"} entries={cache.Entries} bytes={cache.Bytes} evicted={cache.Evicted} " +
              Counters(workers, reclaimer, seconds));
    }

    /// <summary>
    /// The fields both summaries carry (the failure's too, so it runs just after an OOM: one string, formatted once):
    /// work done, GC counts, the time above the direct line and when the limit was lowered, over <paramref name="seconds"/>.
    /// </summary>
    private string Counters(Worker[] workers, Reclaimer? reclaimer, double seconds)
    {
        (long ops, long misses, long corrupt) = Totals(workers);
        double hitRate = ops == 0 ? 0 : (double)(ops - misses) / ops;
        long loweredAt = Volatile.Read(ref _loweredAtTicks);
        return string.Create(CultureInfo.InvariantCulture,
            $"hit_rate={hitRate:F4} ops={ops} ops_per_sec={(seconds > 0 ? ops / seconds : 0):F0} hits={ops - misses} misses={misses} corrupt={corrupt} " +
            $"runs={reclaimer?.RunCount ?? 0} induced={reclaimer?.InducedCollectionCount ?? 0} gen0={GC.CollectionCount(0)} " +
            $"gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} " +
            $"limit_in_force={Volatile.Read(ref _limitInForce)} direct_line={DirectLine:F2} above_direct_s={Seconds(Volatile.Read(ref _aboveDirectTicks)):F2} " +
            $"lowered_at={(loweredAt < 0 ? -1 : Seconds(loweredAt)):F2} seconds={seconds:F2}");
    }

    private static double Seconds(long stopwatchTicks) => (double)stopwatchTicks / Stopwatch.Frequency;

    private void PrintRun(ReclaimRun run) => Print($"run t={Elapsed:F2} {DescribeRun(run)}");

    private static string DescribeRun(ReclaimRun run) =>
        $"trigger={run.Trigger} level={run.Level} usage={run.UsageBytes} limit={run.LimitBytes} " +
        $"target={run.TargetBytes} freed_bytes={run.Result.BytesFreed} freed_objects={run.Result.ObjectsFreed} " +
        $"priority={run.Result.LowestPriority} met={run.Result.TargetMet} induced={run.InducedCollection} " +
        $"reaction_ms={run.ReactionTime.TotalMilliseconds:F1} duration_ms={run.Duration.TotalMilliseconds:F1}";

    /// <summary>The limit in force: the reclaimer's, else the runtime's (the heap hard limit when one is set).</summary>
    private static long Limit(Reclaimer? reclaimer) =>
        reclaimer?.Limit.Bytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static long HeapHardLimit() =>
        GC.GetConfigurationVariables().TryGetValue("GCHeapHardLimit", out object? value) && value is not null
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : 0;

    private static (long Ops, long Misses, long Corrupt) Totals(Worker[] workers)
    {
        long ops = 0, misses = 0, corrupt = 0;
        foreach (Worker worker in workers)
        {
            // Misses first: a lookup counts its miss before its op, so hits (ops - misses) never go negative.
            misses += worker.Misses;
            corrupt += worker.Corrupt;
            ops += worker.Ops;
        }

        return (Math.Max(ops, misses), misses, corrupt);
    }

    // The process runs with invariant globalization (Directory.Build.props), so interpolation formats invariantly.
    private static void Print(string line) => Console.Out.WriteLine(line);
}
