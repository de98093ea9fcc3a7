using System.Diagnostics;
using Reclaim.Pressure;

namespace Reclaim.Reaction;

/// <summary>
/// One idle configuration: a reclaimer with <paramref name="Options"/>, or a reference mechanism started by
/// <paramref name="Reference"/>, or neither (the baseline).
/// </summary>
internal sealed record IdleConfig(string Name, Func<ReclaimerOptions>? Options, Func<IDisposable>? Reference = null)
{
    public bool IsBaseline => Options is null && Reference is null;
}

/// <summary>CPU time of the whole process over a wall-clock window.</summary>
internal sealed record IdleResult(
    IdleConfig Config, TimeSpan Cpu, TimeSpan Wall, IReadOnlyList<MemoryPressureSourceStatus>? Sources, MemoryLimit? Limit, IReadOnlyList<(string Name, TimeSpan Cpu)> Threads)
{
    public double CpuMicrosecondsPerSecond => Cpu.TotalMicroseconds / Wall.TotalSeconds;
}

/// <summary>One micro-measured call: time and managed bytes allocated per call.</summary>
internal sealed record CallCost(string Call, double Nanoseconds, double Bytes, long Calls);

/// <summary>
/// Idle cost: no pressure (an explicit limit far above usage), the process's CPU time per wall second with each source
/// alone; and the cost of one sampling step's reading.
/// </summary>
internal static class IdleBench
{
    public const long FarLimit = 64L << 30;

    public static IReadOnlyList<IdleConfig> Configs() =>
    [
        new("no reclaimer (baseline)", null),
        new("sampling 100 ms only", () => ReactionBench.Only(FarLimit, TimeSpan.FromMilliseconds(100))),
        new("sampling 10 ms only", () => ReactionBench.Only(FarLimit, TimeSpan.FromMilliseconds(10))),
        new("gen2-gc only", () => ReactionBench.Only(FarLimit, TimeSpan.Zero, gen2: true)),
        new("cgroup events only", () => ReactionBench.Only(FarLimit, TimeSpan.Zero, cgroup: true)),
        new("PSI only", () => ReactionBench.Only(FarLimit, TimeSpan.Zero, psi: true)),
        new("all defaults (explicit 64 GiB limit)", () => new ReclaimerOptions { MemoryLimitBytes = FarLimit }),
        new("all defaults, limit detected", () => new ReclaimerOptions()),
        new("reference: Timer every 100 ms, empty callback", null, () => new Timer(static _ => { }, null, 100, 100)),
        new("reference: Timer every 10 ms, empty callback", null, () => new Timer(static _ => { }, null, 10, 10)),
        new("reference: a thread in WaitOne(10 ms) reading GC.GetTotalMemory", null, () => new WakingThread(TimeSpan.FromMilliseconds(10))),
        new("no reclaimer (baseline, again)", null),
    ];

    /// <summary>
    /// Runs the reclaimer's sampling step about a thousand times per second for a while, so the measured windows do not
    /// include its JIT tiering.
    /// </summary>
    public static void WarmUp()
    {
        foreach (long? limit in new long?[] { FarLimit, null })
        {
            using var reclaimer = new Reclaimer(new ShrinkerRegistry(), new ReclaimerOptions
            {
                MemoryLimitBytes = limit,
                SamplingInterval = TimeSpan.FromMilliseconds(1),
            });
            reclaimer.Start();
            Thread.Sleep(700);
        }

        // Let the runtime compile what the warm-up made hot (tiering runs in the background), outside every window.
        ReactionBench.Settle();
        Thread.Sleep(2000);
    }

    public static IdleResult Measure(IdleConfig config, TimeSpan duration)
    {
        ReactionBench.Settle();
        using Reclaimer? reclaimer = config.Options is { } options ? new Reclaimer(new ShrinkerRegistry(), options()) : null;
        reclaimer?.Start();
        using IDisposable? reference = config.Reference?.Invoke();
        Thread.Sleep(300);
        using var process = Process.GetCurrentProcess();
        Dictionary<int, (string, long)> threadsBefore = ThreadCpu.Snapshot();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        long wallBefore = Stopwatch.GetTimestamp();
        Thread.Sleep(duration);
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        TimeSpan wall = Stopwatch.GetElapsedTime(wallBefore);
        IReadOnlyList<(string, TimeSpan)> threads = ThreadCpu.Between(threadsBefore, ThreadCpu.Snapshot());
        return new IdleResult(config, cpu, wall, reclaimer?.Sources, reclaimer?.Limit, threads);
    }

    public static IReadOnlyList<CallCost> MeasureCalls(TimeSpan budget)
    {
        using var explicitLimit = new Reclaimer(new ShrinkerRegistry(), new ReclaimerOptions { MemoryLimitBytes = FarLimit });
        using var detected = new Reclaimer(new ShrinkerRegistry());
        return
        [
            Time("GC.GetTotalMemory(false)", new TotalMemory(), budget),
            Time("Environment.WorkingSet", new WorkingSet(), budget),
            Time("reclaimer.ReadUsage(), explicit limit", new ReadUsage(explicitLimit), budget),
            Time(Invariant($"reclaimer.ReadUsage(), limit detected ({detected.Limit.Source})"), new ReadUsage(detected), budget),
        ];
    }

    /// <summary>One reading by every measure, and the limit a reclaimer with default options detects.</summary>
    public static (MemoryUsage Usage, MemoryLimit Detected) Reading()
    {
        using var reclaimer = new Reclaimer(new ShrinkerRegistry());
        return (reclaimer.ReadUsage(), reclaimer.Limit);
    }

    private static CallCost Time<TCall>(string name, TCall call, TimeSpan budget)
        where TCall : struct, ICall
    {
        const int Batch = 256;
        long sink = 0;
        for (int i = 0; i < Batch; i++)
        {
            sink += call.Invoke();
        }

        long calls = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(budget.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            for (int i = 0; i < Batch; i++)
            {
                sink += call.Invoke();
            }

            calls += Batch;
            now = Stopwatch.GetTimestamp();
        }
        while (now < end);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        GC.KeepAlive(sink);
        return new CallCost(name, Stopwatch.GetElapsedTime(start, now).TotalNanoseconds / calls, (double)allocated / calls, calls);
    }

    private static string Invariant(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What a reclaimer's own thread would do if it slept in a timed wait instead of being woken by a timer.</summary>
    private sealed class WakingThread : IDisposable
    {
        private readonly AutoResetEvent _wake = new(false);
        private readonly Thread _thread;
        private volatile bool _stop;

        public WakingThread(TimeSpan interval)
        {
            _thread = new Thread(() =>
            {
                long sink = 0;
                while (!_stop)
                {
                    _wake.WaitOne(interval);
                    sink += GC.GetTotalMemory(false);
                }

                GC.KeepAlive(sink);
            })
            { IsBackground = true, Name = "waking thread" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _wake.Set();
            _thread.Join();
            _wake.Dispose();
        }
    }

    private interface ICall
    {
        long Invoke();
    }

    private readonly struct TotalMemory : ICall
    {
        public long Invoke() => GC.GetTotalMemory(false);
    }

    private readonly struct WorkingSet : ICall
    {
        public long Invoke() => Environment.WorkingSet;
    }

    private readonly struct ReadUsage(Reclaimer reclaimer) : ICall
    {
        public long Invoke() => reclaimer.ReadUsage().Bytes;
    }
}
