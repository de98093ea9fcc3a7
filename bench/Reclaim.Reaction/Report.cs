using System.Globalization;
using System.Runtime.InteropServices;
using Reclaim.Pressure;

namespace Reclaim.Reaction;

/// <summary>Writes the results as markdown tables.</summary>
internal static class Report
{
    public static void Print(
        TextWriter output,
        Options options,
        string header,
        IReadOnlyList<ReactionResult> reactions,
        IReadOnlyList<IdleResult> idle,
        IReadOnlyList<CallCost> calls,
        (MemoryUsage Usage, MemoryLimit Detected)? reading)
    {
        output.WriteLine("# Reclaimer: reaction time and idle cost");
        output.WriteLine();
        output.WriteLine(header);
        output.WriteLine();
        if (reactions.Count > 0)
        {
            PrintReactions(output, reactions);
        }

        if (idle.Count > 0)
        {
            PrintIdle(output, options, idle, calls, reading);
        }

        output.WriteLine("## Pressure sources after Start()");
        output.WriteLine();
        output.WriteLine("| configuration | sources |");
        output.WriteLine("|---|---|");
        foreach (ReactionResult result in reactions)
        {
            output.WriteLine($"| {result.Config.Name} | {Sources(result.Sources)} |");
        }

        foreach (IdleResult result in idle)
        {
            if (result.Sources is { } sources)
            {
                output.WriteLine($"| idle: {result.Config.Name} | {Sources(sources)} |");
            }
        }

        output.WriteLine();
        output.WriteLine("A source turned on in the options but missing from the list was not created at all.");
    }

    private static void PrintReactions(TextWriter output, IReadOnlyList<ReactionResult> reactions)
    {
        output.WriteLine("## Reaction: from crossing the start watermark to the first ShrinkSlab");
        output.WriteLine();
        output.WriteLine(Invariant($"Each trial: a fresh registry with one probe shrinker and a fresh reclaimer whose explicit limit puts the start watermark ({ReactionBench.StartWatermark:0.00}) {ReactionBench.Distance >> 20} MiB above the heap, only the source under test on."));
        output.WriteLine(Invariant($"Ballast ({ReactionBench.Chunk >> 20} MiB arrays) fills to just below the line, a full collection passes, a random phase (up to the sampling interval) passes, then the probe is armed and ballast crosses the line:"));
        output.WriteLine("t0 is the first `GC.GetTotalMemory(false)` reading at or above it (`manual`: just before `Signal(Moderate)`); reaction = the probe's first `CountObjects` - t0.");
        output.WriteLine("*own* is the run's `LastRun.ReactionTime` (the reclaimer's view: from the signal, or from its reading, to the first pass). Times in ms.");
        output.WriteLine();
        output.WriteLine("| configuration | woken by | reacted / trials | min | median | p90 | max | own, median | triggers |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (ReactionResult result in reactions)
        {
            ReactionConfig config = result.Config;
            Row(output, config.Name, config, result.Trials, t => t.Reaction);
            if (config.Crossing == Crossing.BallastThenCollect)
            {
                Row(output, config.Name + ", from the GC.Collect() call", config, result.Trials, t => t.FromCollect);
            }
        }

        output.WriteLine();
        foreach (ReactionResult result in reactions)
        {
            var notes = new List<string>();
            int timeouts = result.Trials.Count(t => t.Reaction is null);
            if (timeouts > 0)
            {
                int withGen2 = result.Trials.Count(t => t.Reaction is null && t.Gen2BeforeTimeout);
                notes.Add(Invariant($"{timeouts} trials without a reaction within {result.Config.Timeout.TotalSeconds:0} s, {withGen2} of them with a gen2 collection after the crossing"));
            }

            if (result.Config.Garbage)
            {
                notes.Add(Invariant($"garbage thread ({ReactionBench.GarbageArray >> 10} KiB arrays) ran at {result.GarbageRate / 1e6:N0} MB/s"));
                notes.Add(Invariant($"collections during the configuration: gen0 {result.Collections.Gen0}, gen1 {result.Collections.Gen1}, gen2 {result.Collections.Gen2} (4 induced per trial by the harness to settle, 1 more by the GC.Collect() case; the reclaimer may induce one when the reading, garbage included, is above the direct watermark)"));
                int after = result.Trials.Count(t => t.Reaction is not null && t.Gen2AfterCrossing);
                int reacted = result.Trials.Count(t => t.Reaction is not null);
                if (reacted > 0)
                {
                    notes.Add(Invariant($"{after} of {reacted} reactions came after a gen2 collection that started after the crossing"));
                }
            }

            if (result.StoppedEarly is { } stopped)
            {
                notes.Add(stopped);
            }

            int unasked = result.Trials.Count(t => t.UnaskedRun);
            if (unasked > 0)
            {
                notes.Add(Invariant($"{unasked} trials saw a run before the crossing (the probe was counted before it was armed)"));
            }

            int negative = result.Trials.Count(t => t.Reaction < TimeSpan.Zero);
            if (negative > 0)
            {
                notes.Add(Invariant($"{negative} reactions were negative (the reclaimer read the heap above the line between the ballast's allocation and the harness's reading)"));
            }

            if (notes.Count > 0)
            {
                output.WriteLine($"- {result.Config.Name}: {string.Join("; ", notes)}.");
            }
        }

        output.WriteLine();
    }

    private static void Row(TextWriter output, string name, ReactionConfig config, IReadOnlyList<Trial> trials, Func<Trial, TimeSpan?> pick)
    {
        double[] ms = [.. trials.Select(pick).Where(t => t is not null).Select(t => t!.Value.TotalMilliseconds).Order()];
        double[] own = [.. trials.Where(t => pick(t) is not null && t.Own is not null).Select(t => t.Own!.Value.TotalMilliseconds).Order()];
        string triggers = string.Join(", ", trials.Where(t => t.Trigger is not null).GroupBy(t => t.Trigger).OrderByDescending(g => g.Count()).Select(g => Invariant($"{g.Key} {g.Count()}")));
        int timedOut = trials.Count(t => t.Reaction is null);
        string none = trials.Any(t => t.Reaction is null && t.Gen2BeforeTimeout) ? "no reaction" : "no gen2";
        string times = ms.Length == 0
            ? Invariant($"{none} within {config.Timeout.TotalSeconds:0} s | - | - | -")
            : $"{Ms(ms[0])} | {Ms(Percentile(ms, 0.5))} | {Ms(Percentile(ms, 0.9))} | {Ms(ms[^1])}{(timedOut > 0 ? Invariant($" ({timedOut} timed out)") : "")}";
        output.WriteLine(Invariant($"| {name} | {config.Wakes} | {ms.Length} / {trials.Count} | {times} | {(own.Length == 0 ? "-" : Ms(Percentile(own, 0.5)))} | {(triggers.Length == 0 ? "-" : triggers)} |"));
    }

    private static void PrintIdle(TextWriter output, Options options, IReadOnlyList<IdleResult> idle, IReadOnlyList<CallCost> calls, (MemoryUsage Usage, MemoryLimit Detected)? reading)
    {
        double[] baselines = [.. idle.Where(r => r.Config.IsBaseline).Select(r => r.CpuMicrosecondsPerSecond)];
        double baseline = baselines.Length == 0 ? 0 : baselines.Average();
        output.WriteLine("## Idle cost: no pressure");
        output.WriteLine();
        output.WriteLine(Invariant($"The process's CPU time (`Process.TotalProcessorTime`, all threads; 1 µs resolution here) over {options.Duration.TotalSeconds:0.#} s of wall time per configuration, the main thread asleep,"));
        output.WriteLine(Invariant($"with an explicit limit of {IdleBench.FarLimit >> 30} GiB (usage far below every watermark) unless the row says the limit is detected."));
        output.WriteLine(Invariant($"*minus baseline* subtracts the mean of the two baseline rows ({baseline:N0} µs per s). *busiest threads*: CPU per thread name from `/proc/self/task/*/schedstat`, the main thread left out"));
        output.WriteLine("(the kernel keeps 15 characters of a name: `Reclaim reclaim` is the reclaimer's thread, `.NET TP Worker` the thread pool's, `.NET Timer` the runtime's timer thread).");
        output.WriteLine();
        output.WriteLine("| configuration | CPU (µs per s) | % of one core | minus baseline (µs per s) | limit | busiest threads (µs per s) |");
        output.WriteLine("|---|---:|---:|---:|---|---|");
        foreach (IdleResult result in idle)
        {
            double perSecond = result.CpuMicrosecondsPerSecond;
            string limit = result.Limit is { } l ? Invariant($"{l.Bytes / (double)(1L << 30):N1} GiB ({l.Source})") : "-";
            string minus = result.Config.IsBaseline ? "" : Invariant($"{perSecond - baseline:N0}");
            string threads = string.Join(", ", result.Threads.Take(3).Where(t => t.Cpu > TimeSpan.Zero).Select(t => Invariant($"{t.Name} {t.Cpu.TotalMicroseconds / result.Wall.TotalSeconds:N0}")));
            output.WriteLine(Invariant($"| {result.Config.Name} | {perSecond:N0} | {perSecond / 1e4:N3} % | {minus} | {limit} | {threads} |"));
        }

        output.WriteLine();
        output.WriteLine("One sampling step's reading, called in a loop on one thread:");
        output.WriteLine();
        output.WriteLine("| call | ns per call | bytes allocated per call | calls |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (CallCost call in calls)
        {
            output.WriteLine(Invariant($"| {call.Call} | {call.Nanoseconds:N1} | {call.Bytes:N1} | {call.Calls:N0} |"));
        }

        output.WriteLine();
        if (reading is { } r)
        {
            output.WriteLine(Invariant($"One reading: managed heap {r.Usage.ManagedHeapBytes / (double)(1 << 20):N1} MiB, cgroup {(r.Usage.CgroupBytes < 0 ? "none" : $"{r.Usage.CgroupBytes / (double)(1 << 20):N1} MiB")}, charged {r.Usage.ChargedBytes} B;"));
            output.WriteLine(Invariant($"the limit a reclaimer detects here: {r.Detected.Bytes / (double)(1L << 30):N1} GiB ({r.Detected.Source}). `ReadUsage()` reads every measure (the cgroup's files too, when there is a cgroup);"));
            output.WriteLine("a sampling step reads only the measure that decides (the managed heap for an explicit limit).");
            output.WriteLine();
        }
    }

    private static string Sources(IReadOnlyList<MemoryPressureSourceStatus> sources) =>
        sources.Count == 0
            ? "none"
            : string.Join("; ", sources.Select(s => s.IsActive ? $"{s.Name}: active" : $"{s.Name}: not started ({s.UnsupportedReason?.Replace("|", "\\|", StringComparison.Ordinal)})"));

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Ms(double ms) => Math.Abs(ms) switch
    {
        < 10 => Invariant($"{ms:N2}"),
        < 100 => Invariant($"{ms:N1}"),
        _ => Invariant($"{ms:N0}"),
    };

    public static string Machine() =>
        Invariant($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores");

    /// <summary>The load average over 1, 5 and 15 minutes.</summary>
    public static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
