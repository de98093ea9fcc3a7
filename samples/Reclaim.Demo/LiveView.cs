using System.Globalization;
using Reclaim.Units;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Reclaim.Demo;

/// <summary>
/// The live view on a terminal (Spectre.Console <see cref="LiveDisplay"/>): memory against the limit with the
/// watermarks marked, the pressure level, each cache, reclaim and the collector, redrawn at every snapshot.
/// </summary>
internal static class LiveView
{
    public const int BarWidth = 50;

    /// <summary>Runs <paramref name="follow"/> inside the live display; it calls the action it is given after each change.</summary>
    public static Task<T> RunAsync<T>(RunState state, Func<Action<RunState>, Task<T>> follow) =>
        AnsiConsole.Live(Render(state))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(context => follow(s =>
            {
                context.UpdateTarget(Render(s));
                context.Refresh();
            }));

    public static IRenderable Render(RunState state)
    {
        var rows = new List<IRenderable> { Header(state) };
        if (state.Start is not { } start || state.Latest is not { } s)
        {
            rows.Add(new Markup("[grey]starting the workload...[/]"));
            return new Rows(rows);
        }

        MemoryReading m = s.Memory;
        string level = m.Level switch
        {
            "Critical" => "[red bold]Critical[/]",
            "Moderate" => "[yellow]Moderate[/]",
            "None" => "[green]None[/]",
            _ => "[grey]-[/]",
        };
        rows.Add(new Markup(
            $"[bold]memory [/]  {Bar(m.UsageBytes, m.LimitBytes, start.Watermarks, BarWidth)} {ByteSize.Format(m.UsageBytes)} of {ByteSize.Format(m.LimitBytes)} " +
            $"({Summary.Percent(m.UsageBytes, m.LimitBytes)})  peak live {ByteSize.Format(m.PeakLiveBytes)} ({Summary.Percent(m.PeakLiveBytes, m.LimitBytes)})  level {level}"));
        rows.Add(new Markup(start.Watermarks is { } w
            ? $"[grey]          marks: target {ByteSize.Format((long)(w.Target * m.LimitBytes))}, start {ByteSize.Format((long)(w.Start * m.LimitBytes))}, " +
              $"direct {ByteSize.Format((long)(w.Direct * m.LimitBytes))}; {ByteSize.Format(m.ChargedBytes)} charged to groups, heap after the last GC {ByteSize.Format(m.HeapAfterGcBytes)}[/]"
            : $"[grey]          no reclaimer (--no-reclaim): nothing gives memory back; {ByteSize.Format(m.ChargedBytes)} charged to groups[/]"));
        if (state.CgroupLimitBytes is { } cgroupLimit && state.CgroupUsageBytes is { } cgroupUsage)
        {
            rows.Add(new Markup($"[bold]cgroup [/]  {ByteSize.Format(cgroupUsage)} of {ByteSize.Format(cgroupLimit)} ({Summary.Percent(cgroupUsage, cgroupLimit)})"));
        }

        rows.Add(new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]requests[/] {state.RequestsPerSecond:N0}/s, {s.Requests:N0} in all, {(s.WrongValues == 0 ? "[green]0[/]" : $"[red]{s.WrongValues:N0}[/]")} wrong values")));
        rows.Add(Caches(start, s));
        rows.Add(new Markup(Reclaim(state, s)));
        rows.Add(new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]GC     [/]  gen0 {s.Gc.Gen0:N0}, gen1 {s.Gc.Gen1:N0}, gen2 {s.Gc.Gen2:N0}; paused {s.Gc.PauseMilliseconds / 1000:F1} s ({Summary.Percent(s.Gc.PauseMilliseconds / 1000, s.Seconds)})")));
        return new Rows(rows);
    }

    /// <summary>
    /// Usage against the limit as a bar of <paramref name="width"/> cells, in Spectre markup: <c>#</c> used, <c>.</c>
    /// free, <c>|</c> at the target, start and direct watermarks; the fill turns yellow past start and red past direct.
    /// </summary>
    public static string Bar(long usage, long limit, WatermarkFractions? watermarks, int width)
    {
        double used = limit > 0 ? (double)usage / limit : 0;
        HashSet<int> marks = watermarks is { } w ? [Cell(w.Target), Cell(w.Start), Cell(w.Direct)] : [];
        string fill = watermarks is null ? "blue" : used >= watermarks.Direct ? "red" : used >= watermarks.Start ? "yellow" : "green";
        var bar = new System.Text.StringBuilder("[grey][[[/]");
        for (int i = 0; i < width; i++)
        {
            bool filled = (i + 0.5) / width <= used;
            char c = marks.Contains(i) ? '|' : filled ? '#' : '.';
            bar.Append(filled ? $"[{fill}]{c}[/]" : $"[grey]{c}[/]");
        }

        return bar.Append("[grey]]][/]").ToString();

        int Cell(double fraction) => Math.Clamp((int)Math.Round(fraction * width), 0, width - 1);
    }

    private static Markup Header(RunState state)
    {
        DemoOptions o = state.Options;
        string seconds = state.Latest is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.Seconds:F1} s of {o.Duration.TotalSeconds:F0} s") : "starting";
        string watch = state.Start is { } start
            ? $"workload pid {start.ProcessId}; watch it with [blue]dotnet-reclaim top -p {start.ProcessId}[/]"
            : "starting the workload";
        return new Markup(
            $"[bold]Reclaim demo[/]  {o.Tenants} tenants, a catalog and a buffer pool in one process, {o.Threads} client threads, " +
            $"{ByteSize.Format(o.LimitBytes)} {Markup.Escape(state.LimitDescription)}, reclaim {(o.Reclaim ? "[green]on[/]" : "[red]off[/]")}  {seconds}\n" +
            $"[grey]{watch}; Ctrl+C stops[/]\n");
    }

    private static Table Caches(StartReport start, Snapshot s)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("cache")
            .AddColumn("budget")
            .AddColumn(new TableColumn("traffic").RightAligned())
            .AddColumn(new TableColumn("entries").RightAligned())
            .AddColumn(new TableColumn("bytes").RightAligned())
            .AddColumn(new TableColumn("hit rate").RightAligned())
            .AddColumn(new TableColumn("reclaimed").RightAligned());
        for (int i = 0; i < s.Tenants.Count; i++)
        {
            CacheReading t = s.Tenants[i];
            TenantInfo? info = i < start.Tenants.Count ? start.Tenants[i] : null;
            table.AddRow(
                t.Name,
                t.BudgetBytes is { } high ? ByteSize.Format(high) : "-",
                Summary.Percent(info?.TrafficShare ?? 0),
                Count(t.Entries),
                ByteSize.Format(t.Bytes ?? 0),
                Summary.Percent(t.HitRate),
                Count(t.Reclaimed));
        }

        table.AddRow("catalog [grey](MemoryCache)[/]", "-", Summary.Percent(Workload.CatalogReadShare), Count(s.Catalog.Entries), "[grey]not weighed[/]",
            Summary.Percent(s.Catalog.HitRate), Count(s.Catalog.Reclaimed));
        table.AddRow("buffers [grey](array pool)[/]", "-", "-", Count(s.Pool.Arrays), ByteSize.Format(s.Pool.Bytes), "-", Count(s.Pool.Reclaimed));
        return table;
    }

    private static string Reclaim(RunState state, Snapshot s)
    {
        ReclaimReading r = s.Reclaim;
        if (!state.Options.Reclaim)
        {
            return string.Create(CultureInfo.InvariantCulture, $"[bold]reclaim[/]  [red]off[/]; {r.ObjectsFreed:N0} objects reclaimed by tenant-a's budget alone");
        }

        string last = r.LastRun is { } run
            ? string.Create(CultureInfo.InvariantCulture, $"last: {Markup.Escape(run.Trigger)}, freed {ByteSize.Format(run.BytesFreed)} ({run.ObjectsFreed:N0} objects) in {run.DurationMilliseconds:F1} ms, {s.Seconds - run.AtSeconds:F1} s ago")
            : "no background run yet";
        return string.Create(CultureInfo.InvariantCulture,
            $"[bold]reclaim[/]  {r.Runs:N0} background runs, {r.RunMilliseconds / 1000:F2} s, {ByteSize.Format(r.RunBytesFreed)} freed; {last}\n" +
            $"          {r.InducedCollections:N0} induced collections; {r.ObjectsFreed:N0} objects reclaimed in all, {r.CallbackMilliseconds / 1000:F2} s in shrinker callbacks");
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
