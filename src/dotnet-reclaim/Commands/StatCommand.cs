using System.Globalization;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Reclaim.Units;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Reclaim.Tool.Commands;

/// <summary><c>stat</c>: the process, its registry, and its reclaimer's limit, usage, watermarks, pressure level and recent runs.</summary>
internal sealed class StatCommand(ToolContext context)
{
    /// <summary>Shows the state.</summary>
    /// <param name="target">The process.</param>
    /// <param name="json">Whether to print the endpoint's JSON.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public Task<ExitCode> RunAsync(TargetOptions target, bool json, CancellationToken cancellationToken) =>
        ReadCommand.RunAsync(
            context, target, json, DiagnosticRequest.Stat(), (client, ct) => client.StatAsync(ct),
            stat =>
            {
                context.Console.Write(Render(stat));
                return ExitCode.Success;
            },
            cancellationToken);

    /// <summary>The state as a list of names and values, then the recent runs as a table.</summary>
    /// <param name="stat">The answer to <c>stat</c>.</param>
    /// <returns>What to write.</returns>
    public static IRenderable Render(StatResult stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        Add(grid, "process", $"{Formats.Integer(stat.ProcessId)} ({stat.ProcessName})");
        Add(grid, "shrinkers", $"{Formats.Integer(stat.Shrinkers)} registered, {Formats.Integer(stat.NodeCount)} node{(stat.NodeCount == 1 ? string.Empty : "s")}");
        Add(grid, "groups", $"{Formats.Integer(stat.Groups)} online, {ByteSize.Format(stat.ChargedBytes)} charged");
        if (stat.Reclaimer is not { } r)
        {
            Add(grid, "reclaimer", "none (the endpoint was given no reclaimer)");
            return grid;
        }

        Add(grid, "reclaimer", r.Running ? "running" : "stopped");
        Add(grid, "limit", $"{ByteSize.Format(r.Limit.Bytes)} ({r.Limit.Source})");
        Add(grid, "usage", $"{ByteSize.Format(r.Usage.Bytes)}, {Formats.Percent(Fraction(r.Usage.Bytes, r.Limit.Bytes))} of the limit " +
            $"(managed heap {ByteSize.Format(r.Usage.ManagedHeapBytes)}, cgroup {(r.Usage.CgroupBytes < 0 ? "none" : ByteSize.Format(r.Usage.CgroupBytes))}, charged {ByteSize.Format(r.Usage.ChargedBytes)})");
        Add(grid, "watermarks", Watermarks(r.Watermarks));
        Add(grid, "level", r.Level);
        Add(grid, "runs", $"{Formats.Count(r.RunCount)} background reclaim runs, {Formats.Count(r.InducedCollections)} induced gen2 collections");
        Add(grid, "sources", r.Sources.Count == 0 ? "none" : string.Join(", ", r.Sources.Select(s => s.Active ? s.Name : $"{s.Name} (off: {s.UnsupportedReason ?? "inactive"})")));
        if (r.RecentRuns.Count == 0)
        {
            Add(grid, "recent runs", "none");
            return grid;
        }

        var runs = Tables.Create("COMPLETED (UTC)", "TRIGGER", "LEVEL", ">USAGE", ">TARGET", ">FREED", ">OBJECTS", ">PRIORITY", "MET", ">DURATION");
        foreach (ReclaimRunInfo run in r.RecentRuns)
        {
            runs.AddTextRow(
                run.CompletedAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                run.Trigger,
                run.Level,
                ByteSize.Format(run.UsageBytes),
                ByteSize.Format(run.TargetBytes),
                ByteSize.Format(run.BytesFreed),
                Formats.Count(run.ObjectsFreed),
                run.LowestPriority < 0 ? "-" : Formats.Integer(run.LowestPriority),
                run.TargetMet ? "yes" : "no",
                Formats.Milliseconds(run.DurationMs));
        }

        return new Rows(grid, new Text(string.Empty), new Text("recent runs", new Style(decoration: Decoration.Bold)), runs);
    }

    /// <summary>The watermarks in bytes and as fractions of the limit.</summary>
    /// <param name="w">The watermarks.</param>
    /// <returns>The text.</returns>
    public static string Watermarks(WatermarksInfo w)
    {
        ArgumentNullException.ThrowIfNull(w);
        return $"target {ByteSize.Format(w.TargetBytes)} ({Formats.Percent(w.Target)}), start {ByteSize.Format(w.StartBytes)} ({Formats.Percent(w.Start)}), direct {ByteSize.Format(w.DirectBytes)} ({Formats.Percent(w.Direct)})";
    }

    /// <summary><paramref name="part"/> over <paramref name="whole"/>, 0 when there is no whole.</summary>
    /// <param name="part">The part.</param>
    /// <param name="whole">The whole.</param>
    /// <returns>The fraction.</returns>
    public static double Fraction(long part, long whole) => whole <= 0 ? 0 : (double)part / whole;

    private static void Add(Grid grid, string name, string value) =>
        grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value));
}
