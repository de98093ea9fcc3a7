using System.Text.Json;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;

namespace Reclaim.Tool.Commands;

/// <summary>
/// <c>scan</c>: one direct call of a shrinker's scan callback, as writing <c>&lt;group&gt; &lt;node&gt; &lt;nr&gt;</c> to the
/// kernel's debugfs <c>scan</c> file does: no count first, no batching, no deferred work.
/// </summary>
internal sealed class ScanCommand(ToolContext context)
{
    /// <summary>Scans.</summary>
    /// <param name="target">The process.</param>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c>.</param>
    /// <param name="group">The memory group id; 0 for a shrinker that is not group-aware.</param>
    /// <param name="node">The node.</param>
    /// <param name="nrToScan">How many objects to ask for; 0 does nothing.</param>
    /// <param name="json">Whether to print the endpoint's JSON.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>, or <see cref="ExitCode.Error"/> when the callback threw.</returns>
    public async Task<ExitCode> RunAsync(TargetOptions target, string shrinker, long group, int node, long nrToScan, bool json, CancellationToken cancellationToken)
    {
        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            JsonElement answer = await client.SendAsync(DiagnosticRequest.Scan(shrinker, group, node, nrToScan), cancellationToken).ConfigureAwait(false);
            JsonOutput.Write(context.Out, answer);
            bool threw = answer.TryGetProperty("callback_error", out JsonElement error) && error.ValueKind == JsonValueKind.String;
            return threw ? ExitCode.Error : ExitCode.Success;
        }

        ShrinkerScanResult result = await client.ScanAsync(shrinker, group, node, nrToScan, cancellationToken).ConfigureAwait(false);
        string outcome = result.CallbackError is { } callbackError ? $"; the callback threw {callbackError}"
            : result.Stopped ? "; the callback answered stop"
            : string.Empty;
        context.Out.WriteLine(
            $"{result.Shrinker} group {Formats.Integer(result.Group)} node {Formats.Integer(result.Node)}: freed {Formats.Count(result.Freed)} of {Formats.Count(result.NrToScan)} asked (scanned {Formats.Count(result.NrScanned)}){outcome}");
        context.Out.Flush();
        return result.CallbackError is null ? ExitCode.Success : ExitCode.Error;
    }
}
