using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Reclaim.Throughput;

/// <summary>
/// What one thread did in a timed run: operations per second over its own time; how long a window of operations took
/// (99.9th percentile and maximum); the share of its time spent in windows longer than <see cref="Harness.Stall"/>
/// (an operation that was blocked makes its window that long); managed bytes it allocated per operation.
/// </summary>
internal readonly record struct WorkerResult(
    double PerSecond, TimeSpan WindowP999, TimeSpan WindowMax, double StalledShare, double BytesPerOperation);

/// <summary>
/// What one timed run measured, <c>null</c> for a role that did not run; and how long the garbage collector had every
/// thread stopped during the run.
/// </summary>
internal readonly record struct Rates(WorkerResult? RegisterFree, WorkerResult? Passes, TimeSpan GcPause);

/// <summary>
/// Runs up to two threads against a <see cref="Target"/> for a fixed time: one doing register+free in a loop, one doing
/// passes in a loop. Each thread times itself from the common start to the moment it sees the stop flag, so an operation
/// that was blocked when time ran out counts in its own thread's time, not lost.
/// </summary>
internal static class Harness
{
    /// <summary>
    /// Register+free takes well under a microsecond, so its clock is read once per this many operations (reading it on
    /// every one would cost about as much as the operation). One that waited for a pass still stands out: its window
    /// grows from microseconds to a pass's milliseconds.
    /// </summary>
    public const int RegisterFreeWindow = 16;

    /// <summary>A window longer than this holds a blocked operation: 16 register+free take microseconds.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(1);

    public static Rates Run(Target target, bool churn, bool passes, TimeSpan duration)
    {
        var stop = new StrongBox<bool>();
        using var start = new Barrier((churn ? 1 : 0) + (passes ? 1 : 0) + 1);
        Worker? churnWorker = churn ? new Worker(start, stop, target.RegisterFree, RegisterFreeWindow) : null;
        Worker? passWorker = passes ? new Worker(start, stop, () => target.Pass(), 1) : null;

        TimeSpan pausedBefore = GC.GetTotalPauseDuration();
        start.SignalAndWait();
        Thread.Sleep(duration);
        Volatile.Write(ref stop.Value, true);
        return new Rates(churnWorker?.Join(), passWorker?.Join(), GC.GetTotalPauseDuration() - pausedBefore);
    }

    /// <summary>
    /// Two unrelated busy threads, each alone and then both at once: the share of its speed one thread keeps when the
    /// other core is busy (no design can keep more on this machine), and the share of its time it then spends in
    /// windows longer than <see cref="Stall"/> (the host's own stalls, which every measurement below also suffers).
    /// </summary>
    public static (double SpeedKept, double Stalled) MachineUnderLoad(TimeSpan duration)
    {
        WorkerResult[] alone = RunActions(duration, 1);
        WorkerResult[] both = RunActions(duration, 2);
        return (both.Average(r => r.PerSecond) / alone[0].PerSecond, both.Average(r => r.StalledShare));
    }

    private static WorkerResult[] RunActions(TimeSpan duration, int threads)
    {
        var stop = new StrongBox<bool>();
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(_ => new Worker(start, stop, Arithmetic, 1)).ToList();
        start.SignalAndWait();
        Thread.Sleep(duration);
        Volatile.Write(ref stop.Value, true);
        return [.. workers.Select(w => w.Join())];
    }

    // Plain arithmetic, no memory traffic and no pause instruction (a spin-wait's pause may make the VM exit).
    private static void Arithmetic()
    {
        ulong x = (ulong)Environment.CurrentManagedThreadId;
        for (int i = 0; i < 1_000; i++)
        {
            x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        }

        GC.KeepAlive(x);
    }

    private sealed class Worker
    {
        // Window durations, in Stopwatch ticks. A ring: a long run keeps its last million windows for the percentile.
        private readonly long[] _windows = new long[1 << 20];
        private readonly Thread _thread;
        private long _windowCount;
        private WorkerResult _result;

        public Worker(Barrier start, StrongBox<bool> stop, Action operation, int window)
        {
            _thread = new Thread(() =>
            {
                start.SignalAndWait();
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long begin = Stopwatch.GetTimestamp();
                long last = begin;
                long n = 0;
                while (!Volatile.Read(ref stop.Value))
                {
                    operation();
                    if (++n % window == 0)
                    {
                        long now = Stopwatch.GetTimestamp();
                        _windows[_windowCount++ & (_windows.Length - 1)] = now - last;
                        last = now;
                    }
                }

                long end = Stopwatch.GetTimestamp();
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                _result = Summarize(n, end - begin, allocated);
            })
            { IsBackground = true };
            _thread.Start();
        }

        /// <summary>Waits for the thread; Join orders its writes of the result before our read.</summary>
        public WorkerResult Join()
        {
            _thread.Join();
            return _result;
        }

        private WorkerResult Summarize(long operations, long ticks, long allocated)
        {
            Span<long> windows = _windows.AsSpan(0, (int)Math.Min(_windowCount, _windows.Length));
            windows.Sort();
            long p999 = windows.IsEmpty ? ticks : windows[(int)((windows.Length - 1) * 0.999)];
            long max = windows.IsEmpty ? ticks : windows[^1];
            long stallTicks = (long)(Stall.TotalSeconds * Stopwatch.Frequency);
            long stalled = 0;
            foreach (long w in windows)
            {
                stalled += w > stallTicks ? w : 0;
            }

            return new WorkerResult(
                operations / (ticks / (double)Stopwatch.Frequency),
                Stopwatch.GetElapsedTime(0, p999),
                Stopwatch.GetElapsedTime(0, max),
                stalled / (double)ticks,
                operations == 0 ? 0 : allocated / (double)operations);
        }
    }
}
