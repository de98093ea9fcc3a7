using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;

namespace Reclaim.Tool.Commands;

/// <summary><c>drop-caches</c>: every shrinker gives up all it will, as <c>echo 2 &gt; /proc/sys/vm/drop_caches</c>.</summary>
internal sealed class DropCachesCommand(ToolContext context)
{
    /// <summary>Drops the caches.</summary>
    /// <param name="target">The process.</param>
    /// <param name="json">Whether to print JSON.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public async Task<ExitCode> RunAsync(TargetOptions target, bool json, CancellationToken cancellationToken)
    {
        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            JsonOutput.Write(context.Out, await client.SendAsync(DiagnosticRequest.DropCaches(), cancellationToken).ConfigureAwait(false));
            return ExitCode.Success;
        }

        DropCachesResult result = await client.DropCachesAsync(cancellationToken).ConfigureAwait(false);
        context.Out.WriteLine($"Dropped caches: {Formats.Count(result.Freed)} objects freed in {Formats.Milliseconds(result.ElapsedMs)}.");
        context.Out.Flush();
        return ExitCode.Success;
    }
}
