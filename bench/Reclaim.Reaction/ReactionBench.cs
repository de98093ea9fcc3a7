using System.Diagnostics;
using Reclaim.Pressure;

namespace Reclaim.Reaction;

/// <summary>How a trial puts the reclaimer under pressure.</summary>
internal enum Crossing
{
    /// <summary><see cref="Reclaimer.Signal"/>(Moderate); t0 is just before the call.</summary>
    Signal,

    /// <summary>Ballast crosses the start watermark; t0 is the first reading at or above it.</summary>
    Ballast,

    /// <summary>As <see cref="Ballast"/>, then a blocking <see cref="GC.Collect()"/> 50 ms after the crossing.</summary>
    BallastThenCollect,
}

/// <summary>One configuration: the options (given the explicit limit) and how the line is crossed.</summary>
internal sealed record ReactionConfig(
    string Name, string Wakes, Func<long, ReclaimerOptions> Options, Crossing Crossing, bool Garbage, TimeSpan Timeout, TimeSpan Phase);

/// <summary>One trial: times from t0 (null when the reclaimer did not react within the timeout).</summary>
internal readonly record struct Trial(
    TimeSpan? Reaction, TimeSpan? FromCollect, TimeSpan? Own, string? Trigger, bool Gen2AfterCrossing, bool UnaskedRun, bool Gen2BeforeTimeout = false);

/// <summary>All trials of one configuration, and what the process did meanwhile.</summary>
internal sealed record ReactionResult(
    ReactionConfig Config,
    IReadOnlyList<Trial> Trials,
    IReadOnlyList<MemoryPressureSourceStatus> Sources,
    double GarbageRate,
    (int Gen0, int Gen1, int Gen2) Collections,
    string? StoppedEarly);

/// <summary>
/// Reaction time from crossing the start watermark to the first <c>ShrinkSlab</c>, per pressure source. Each trial has
/// a fresh registry with one <see cref="Probe"/>, a fresh reclaimer whose explicit limit puts the start watermark
/// <see cref="Distance"/> above the heap, and ballast in <see cref="Chunk"/> arrays.
/// </summary>
internal static class ReactionBench
{
    public const double StartWatermark = 0.80;
    public const long Distance = 64L << 20;
    public const int Chunk = 8 << 20;
    public const double GarbageBytesPerSecond = 200e6;
    public const int GarbageArray = 64 << 10;
    public static readonly TimeSpan CollectAfter = TimeSpan.FromMilliseconds(50);

    /// <summary>Consecutive trials without a reaction after which a configuration stops (each costs its whole timeout).</summary>
    private const int MaxConsecutiveTimeouts = 3;

    /// <summary>A configuration stops starting trials after this long (a slow source at a 10 s cap would take minutes).</summary>
    private static readonly TimeSpan s_configBudget = TimeSpan.FromSeconds(60);

    public static IReadOnlyList<ReactionConfig> Configs()
    {
        TimeSpan normal = TimeSpan.FromSeconds(5);
        TimeSpan gen2 = TimeSpan.FromSeconds(10);
        return
        [
            new("manual", "Signal(Moderate)", limit => Only(limit, TimeSpan.Zero), Crossing.Signal, false, normal, TimeSpan.FromMilliseconds(10)),
            new("sampling 10 ms", "timer", limit => Only(limit, TimeSpan.FromMilliseconds(10)), Crossing.Ballast, false, normal, TimeSpan.FromMilliseconds(10)),
            new("sampling 100 ms (default)", "timer", limit => Only(limit, TimeSpan.FromMilliseconds(100)), Crossing.Ballast, false, normal, TimeSpan.FromMilliseconds(100)),
            new("sampling 1000 ms", "timer", limit => Only(limit, TimeSpan.FromMilliseconds(1000)), Crossing.Ballast, false, normal, TimeSpan.FromMilliseconds(1000)),
            new("gen2-gc alone, garbage 200 MB/s", "a gen2 collection", limit => Only(limit, TimeSpan.Zero, gen2: true), Crossing.Ballast, true, gen2, TimeSpan.FromMilliseconds(10)),
            new("gen2-gc alone, GC.Collect() 50 ms after crossing", "a gen2 collection", limit => Only(limit, TimeSpan.Zero, gen2: true), Crossing.BallastThenCollect, true, gen2, TimeSpan.FromMilliseconds(10)),
            new("default (all sources, sampling 100 ms)", "first of all", limit => new ReclaimerOptions { MemoryLimitBytes = limit }, Crossing.Ballast, false, normal, TimeSpan.FromMilliseconds(100)),
        ];
    }

    /// <summary>Options with every source off but the ones named, and the explicit limit.</summary>
    public static ReclaimerOptions Only(long limit, TimeSpan sampling, bool gen2 = false, bool cgroup = false, bool psi = false) => new()
    {
        MemoryLimitBytes = limit,
        SamplingInterval = sampling,
        UseGen2CollectionSignal = gen2,
        UseCgroupEvents = cgroup,
        UsePressureStallInformation = psi,
    };

    /// <summary>Untimed trials of the manual configuration, so the first timed ones do not include compiling the run's code.</summary>
    public static void WarmUp(int trials)
    {
        IReadOnlyList<MemoryPressureSourceStatus> ignored = [];
        ReactionConfig manual = Configs()[0];
        for (int i = 0; i < trials; i++)
        {
            RunTrial(manual, ref ignored);
        }
    }

    public static ReactionResult Run(ReactionConfig config, int trials)
    {
        var results = new List<Trial>(trials);
        IReadOnlyList<MemoryPressureSourceStatus> sources = [];
        using Garbage? garbage = config.Garbage ? new Garbage(GarbageBytesPerSecond, GarbageArray) : null;
        (int, int, int) before = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var clock = Stopwatch.StartNew();
        string? stoppedEarly = null;
        int consecutiveTimeouts = 0;
        for (int i = 0; i < trials; i++)
        {
            if (clock.Elapsed > s_configBudget)
            {
                stoppedEarly = Invariant($"stopped after {i} trials: over the {s_configBudget.TotalSeconds:0} s budget per configuration");
                break;
            }

            Trial trial = RunTrial(config, ref sources);
            results.Add(trial);
            Console.Error.WriteLine(Invariant($"  {config.Name} #{i + 1}: {(trial.Reaction is { } r ? $"{r.TotalMilliseconds:N2} ms, own {trial.Own?.TotalMilliseconds:N2} ms ({trial.Trigger})" : "no reaction")}"));
            consecutiveTimeouts = trial.Reaction is null ? consecutiveTimeouts + 1 : 0;
            if (consecutiveTimeouts == MaxConsecutiveTimeouts && i + 1 < trials)
            {
                stoppedEarly = Invariant($"stopped after {i + 1} trials: {MaxConsecutiveTimeouts} in a row without a reaction within {config.Timeout.TotalSeconds:0} s");
                break;
            }
        }

        (int Gen0, int Gen1, int Gen2) collections = (
            GC.CollectionCount(0) - before.Item1, GC.CollectionCount(1) - before.Item2, GC.CollectionCount(2) - before.Item3);
        return new ReactionResult(config, results, sources, garbage?.Rate ?? 0, collections, stoppedEarly);
    }

    private static Trial RunTrial(ReactionConfig config, ref IReadOnlyList<MemoryPressureSourceStatus> sources)
    {
        Settle();
        long heap = GC.GetTotalMemory(false);
        long limit = (long)((heap + Distance) / StartWatermark);
        long line = (long)(StartWatermark * limit);
        var registry = new ShrinkerRegistry();
        var ballast = new List<byte[]>();
        using var probe = new Probe(registry);
        Trial trial;
        using (var reclaimer = new Reclaimer(registry, config.Options(limit)))
        {
            reclaimer.Start();
            sources = reclaimer.Sources;
            if (config.Crossing != Crossing.Signal)
            {
                // Fill to one or two chunks below the line, then let the collection (and the gen2 signal it raises)
                // pass while usage is below it, so only the crossing below can start a run. Two chunks leave room
                // for the garbage the reclaimer's reading may include.
                while (GC.GetTotalMemory(false) + (2 * Chunk) < line)
                {
                    ballast.Add(GC.AllocateUninitializedArray<byte>(Chunk));
                }
            }

            Settle();
            Thread.Sleep(20);
            long baseline = GC.GetTotalMemory(false);

            // A random phase against the sampling timer, so crossings land anywhere in its period.
            Thread.Sleep(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * config.Phase.TotalMilliseconds));
            long runsBefore = reclaimer.RunCount;
            probe.Arm();
            long t0;
            if (config.Crossing == Crossing.Signal)
            {
                t0 = Stopwatch.GetTimestamp();
                reclaimer.Signal(MemoryPressureLevel.Moderate);
            }
            else
            {
                long added = 0;
                while (true)
                {
                    ballast.Add(GC.AllocateUninitializedArray<byte>(Chunk));
                    added += Chunk;
                    if (GC.GetTotalMemory(false) >= line)
                    {
                        t0 = Stopwatch.GetTimestamp();
                        break;
                    }
                }

                // The reading may include garbage (the garbage thread's), which a gen2 collection removes: make sure
                // the live ballast alone stands above the line too.
                for (; baseline + added < line; added += Chunk)
                {
                    ballast.Add(GC.AllocateUninitializedArray<byte>(Chunk));
                }
            }

            int gen2AtCrossing = GC.CollectionCount(2);
            long collectAt = 0;
            if (config.Crossing == Crossing.BallastThenCollect)
            {
                SleepUntil(t0 + (long)(CollectAfter.TotalSeconds * Stopwatch.Frequency));
                collectAt = Stopwatch.GetTimestamp();
                GC.Collect();
            }

            long deadline = t0 + (long)(config.Timeout.TotalSeconds * Stopwatch.Frequency);
            while (probe.FirstCount == 0 && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(1);
            }

            long first = probe.FirstCount;
            if (first == 0)
            {
                trial = new Trial(null, null, null, null, false, probe.CountsBeforeArm > 0, GC.CollectionCount(2) > gen2AtCrossing);
            }
            else
            {
                // The run's record is written when the run ends.
                var wait = Stopwatch.StartNew();
                while (reclaimer.RunCount == runsBefore && wait.Elapsed < TimeSpan.FromSeconds(2))
                {
                    Thread.Sleep(1);
                }

                ReclaimRun? run = reclaimer.RunCount > runsBefore ? reclaimer.LastRun : null;
                trial = new Trial(
                    Stopwatch.GetElapsedTime(t0, first),
                    collectAt == 0 ? null : Stopwatch.GetElapsedTime(collectAt, first),
                    run?.ReactionTime,
                    run?.Trigger,
                    probe.Gen2AtFirstCount > gen2AtCrossing,
                    probe.CountsBeforeArm > 0);
            }
        }

        GC.KeepAlive(ballast);
        ballast.Clear();
        return trial;
    }

    /// <summary>Two full blocking collections with the finalizers between (the gen2 callback runs on the finalizer thread).</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void SleepUntil(long timestamp)
    {
        while (true)
        {
            long left = timestamp - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return;
            }

            if (left > Stopwatch.Frequency / 500)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
