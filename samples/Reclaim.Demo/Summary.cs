using System.Globalization;
using Reclaim.Units;

namespace Reclaim.Demo;

/// <summary>
/// The final summary, as plain lines: the verdict first (survived, or what killed the workload and when), then the
/// numbers of the run as of its last snapshot. The demo's tests read these lines: keep the labels stable.
/// </summary>
internal static class Summary
{
    private const string Indent = "  ";

    public static IReadOnlyList<string> Lines(RunState state, Outcome outcome, int? exitCode, IReadOnlyList<string> outputTail)
    {
        var lines = new List<string> { Verdict(state, outcome, exitCode) };
        if (Hint(state, outcome) is { } hint)
        {
            lines.Add(Indent + hint);
        }

        if (state.Latest is { } s && state.Start is { } start)
        {
            if (!s.Final)
            {
                lines.Add(Indent + string.Create(CultureInfo.InvariantCulture, $"as of the last snapshot, at {s.Seconds:F1} s:"));
            }

            lines.AddRange(Details(state, start, s).Select(line => Indent + line));
        }

        if (outcome is Outcome.Crashed or Outcome.TimedOut || (outcome is Outcome.OutOfMemory && state.Failure is null))
        {
            lines.Add(Indent + "the workload's last output:");
            lines.AddRange(outputTail.Select(line => Indent + "| " + line));
        }

        return lines;
    }

    /// <summary>One line: what happened to the workload.</summary>
    public static string Verdict(RunState state, Outcome outcome, int? exitCode)
    {
        long limit = state.Start?.LimitBytes ?? state.Options.LimitBytes;
        string source = state.Start?.LimitSource ?? state.LimitDescription;
        string cgroupNote = string.Empty;
        if (state.CgroupLimitBytes is { } cgroupLimit && limit < cgroupLimit)
        {
            // In a cgroup the runtime sets its heap hard limit below the cgroup's (75 % by default): the tighter one counts.
            cgroupNote = $" ({source}, which the runtime set at {Percent(limit, cgroupLimit)} of the cgroup's {ByteSize.Format(cgroupLimit)})";
        }

        string limitText = $"{ByteSize.Format(limit)} limit{(cgroupNote.Length > 0 ? cgroupNote : $" ({source})")}";
        double seconds = state.Latest?.Seconds ?? 0;
        return outcome switch
        {
            Outcome.Survived => string.Create(CultureInfo.InvariantCulture, $"Survived: the workload ran {seconds:F1} s under its {limitText}."),
            Outcome.OutOfMemory when state.Failure is { } f => string.Create(CultureInfo.InvariantCulture,
                $"Died: the workload died of {f.Reason} after {f.Seconds:F1} s at {ByteSize.Format(f.UsageBytes)} of its {ByteSize.Format(f.LimitBytes)} limit{cgroupNote}."),
            Outcome.OutOfMemory => string.Create(CultureInfo.InvariantCulture,
                $"Died: the workload ran out of memory (the runtime failed fast, exit code {exitCode}) after about {seconds:F1} s under its {limitText}."),
            Outcome.KilledByOomKiller => string.Create(CultureInfo.InvariantCulture,
                $"Died: the kernel's OOM killer killed the workload (SIGKILL) after about {seconds:F1} s; its cgroup peaked at " +
                $"{ByteSize.Format(state.CgroupEnd?.PeakBytes ?? -1)} of {ByteSize.Format(state.CgroupLimitBytes ?? -1)}."),
            Outcome.Crashed when state.Failure is { } f => string.Create(CultureInfo.InvariantCulture, $"Failed: the workload failed with {f.Reason} after {f.Seconds:F1} s: {f.Message}"),
            Outcome.Crashed => string.Create(CultureInfo.InvariantCulture, $"Failed: the workload exited with code {exitCode} after about {seconds:F1} s."),
            Outcome.TimedOut => string.Create(CultureInfo.InvariantCulture, $"Failed: the workload did not finish in time and was stopped after about {seconds:F1} s."),
            _ => string.Create(CultureInfo.InvariantCulture, $"Stopped by Ctrl+C after {seconds:F1} s."),
        };
    }

    private static string? Hint(RunState state, Outcome outcome) => outcome switch
    {
        Outcome.OutOfMemory or Outcome.KilledByOomKiller when !state.Options.Reclaim =>
            "Without a reclaimer nothing gives memory back but tenant-a's budget, which holds tenant-a alone. Run without --no-reclaim to see Reclaim keep it alive.",
        Outcome.OutOfMemory or Outcome.KilledByOomKiller =>
            "It died with the reclaimer on: that is a bug in Reclaim or a limit too small for the runtime; please report it with this output.",
        _ => null,
    };

    private static IEnumerable<string> Details(RunState state, StartReport start, Snapshot s)
    {
        MemoryReading m = s.Memory;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"memory     peak {ByteSize.Format(m.PeakLiveBytes)} live, {Percent(m.PeakLiveBytes, m.LimitBytes)} of the limit (after full collections); " +
            $"the collector committed at most {ByteSize.Format(m.PeakCommittedBytes)} ({Percent(m.PeakCommittedBytes, m.LimitBytes)})");
        double rate = s.Seconds > 0 ? s.Requests / s.Seconds : 0;
        yield return string.Create(CultureInfo.InvariantCulture, $"requests   {s.Requests:N0} in {s.Seconds:F1} s: {rate:N0}/s; {s.WrongValues:N0} wrong values");
        for (int i = 0; i < s.Tenants.Count; i++)
        {
            CacheReading t = s.Tenants[i];
            TenantInfo? info = i < start.Tenants.Count ? start.Tenants[i] : null;
            string budget = t.BudgetBytes is { } high ? $", budget {ByteSize.Format(high)}" : string.Empty;
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{t.Name,-10} {Percent(info?.TrafficShare ?? 0)} of requests{budget}: hit rate {Percent(t.HitRate)}, " +
                $"{t.Entries:N0} entries ({ByteSize.Format(t.Bytes ?? 0)}) kept, {t.Reclaimed:N0} reclaimed");
        }

        yield return string.Create(CultureInfo.InvariantCulture,
            $"catalog    MemoryCache, read by {Percent(Workload.CatalogReadShare)} of requests: hit rate {Percent(s.Catalog.HitRate)}, " +
            $"{s.Catalog.Entries:N0} entries kept, {s.Catalog.Reclaimed:N0} reclaimed");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"buffers    ShrinkableArrayPool: {s.Pool.Arrays:N0} idle arrays ({ByteSize.Format(s.Pool.Bytes)}) kept, {s.Pool.Reclaimed:N0} reclaimed");
        ReclaimReading r = s.Reclaim;
        yield return state.Options.Reclaim
            ? string.Create(CultureInfo.InvariantCulture,
                $"reclaim    {r.Runs:N0} background runs took {r.RunMilliseconds / 1000:F2} s in all ({Percent(r.RunMilliseconds / 1000, s.Seconds)} of the run) " +
                $"and freed {ByteSize.Format(r.RunBytesFreed)}; {r.InducedCollections:N0} induced collections")
            : "reclaim    off (--no-reclaim): no reclaimer ran";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"           {r.ObjectsFreed:N0} objects reclaimed {(state.Options.Reclaim ? "in all (background runs, direct reclaim in charges, budgets)" : "by tenant-a's budget")}, " +
            $"{r.CallbackMilliseconds / 1000:F2} s in shrinker callbacks");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"GC         gen0 {s.Gc.Gen0:N0}, gen1 {s.Gc.Gen1:N0}, gen2 {s.Gc.Gen2:N0}; paused {s.Gc.PauseMilliseconds / 1000:F1} s ({Percent(s.Gc.PauseMilliseconds / 1000, s.Seconds)} of the run)");
        if (state.CgroupLimitBytes is { } cgroupLimit)
        {
            string peak = state.CgroupEnd is { PeakBytes: >= 0 } end ? $"peak {ByteSize.Format(end.PeakBytes)} of {ByteSize.Format(cgroupLimit)}" : $"limit {ByteSize.Format(cgroupLimit)}";
            string kills = state.CgroupEnd is { OomKills: >= 0 } k ? string.Create(CultureInfo.InvariantCulture, $"; {k.OomKills:N0} OOM kills") : string.Empty;
            yield return $"cgroup     {peak}{kills}";
        }
    }

    /// <summary><paramref name="part"/> of <paramref name="whole"/> as a percentage with one decimal: <c>93.4 %</c>.</summary>
    public static string Percent(double part, double whole) => Percent(whole > 0 ? part / whole : 0);

    /// <summary>A fraction as a percentage with one decimal: <c>0.934</c> is <c>93.4 %</c>.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
