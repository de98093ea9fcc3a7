using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Spectre.Console;

namespace Reclaim.Tool.Commands;

/// <summary><c>list</c>: every registered shrinker with its settings and statistics (the kernel's <c>/sys/kernel/debug/shrinker/</c>).</summary>
internal sealed class ListCommand(ToolContext context)
{
    /// <summary>Lists the shrinkers.</summary>
    /// <param name="target">The process.</param>
    /// <param name="json">Whether to print the endpoint's JSON.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public Task<ExitCode> RunAsync(TargetOptions target, bool json, CancellationToken cancellationToken) =>
        ReadCommand.RunAsync(context, target, json, DiagnosticRequest.List(), (client, ct) => client.ListAsync(ct), Print, cancellationToken);

    private ExitCode Print(ShrinkerListResult list)
    {
        if (list.Shrinkers.Count == 0)
        {
            context.Console.WriteLine("No shrinker is registered.");
            return ExitCode.Success;
        }

        var table = Tables.Create("SHRINKER", "FLAGS", "STATE", ">SEEKS", ">BATCH", ">PASSES", ">SCANNED", ">FREED", ">DEFERRED", ">ERRORS", ">CALLBACK TIME");
        foreach (ShrinkerInfo shrinker in list.Shrinkers)
        {
            ShrinkerStatisticsInfo s = shrinker.Statistics;
            table.AddTextRow(
                shrinker.Shrinker,
                Flags(shrinker.Flags),
                shrinker.State,
                Formats.Integer(shrinker.Seeks),
                shrinker.Batch == 0 ? "128" : Formats.Integer(shrinker.Batch),
                Formats.Count(s.Passes),
                Formats.Count(s.ObjectsScanned),
                Formats.Count(s.ObjectsFreed),
                Formats.Count(s.Deferred),
                Formats.Count(s.CallbackErrors + s.ContractViolations),
                Formats.Milliseconds(s.TimeInCallbacksMs));
        }

        context.Console.Write(table);
        return ExitCode.Success;
    }

    /// <summary>The flags as words: <c>node,group</c>, or <c>-</c>.</summary>
    /// <param name="flags">The wire flags (<c>node_aware</c>, <c>group_aware</c>).</param>
    /// <returns>The text.</returns>
    public static string Flags(IReadOnlyList<string> flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        return flags.Count == 0 ? "-" : string.Join(',', flags.Select(f => f.Replace("_aware", string.Empty, StringComparison.Ordinal)));
    }
}
