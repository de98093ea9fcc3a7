using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;

namespace Reclaim.Tool.Commands;

/// <summary>What every read command does: connect, then print the endpoint's own JSON for <c>--json</c>, or render the typed result.</summary>
internal static class ReadCommand
{
    /// <summary>Runs one read request against the target.</summary>
    /// <typeparam name="T">The typed result.</typeparam>
    /// <param name="context">The console and settings.</param>
    /// <param name="target">The process.</param>
    /// <param name="json">Whether to print the endpoint's JSON instead of rendering.</param>
    /// <param name="request">The request, for <c>--json</c>.</param>
    /// <param name="fetch">The same request through the typed client method.</param>
    /// <param name="render">Writes the typed result; returns the exit code.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The exit code.</returns>
    public static async Task<ExitCode> RunAsync<T>(
        ToolContext context,
        TargetOptions target,
        bool json,
        DiagnosticRequest request,
        Func<ReclaimDiagnosticClient, CancellationToken, Task<T>> fetch,
        Func<T, ExitCode> render,
        CancellationToken cancellationToken)
    {
        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            JsonOutput.Write(context.Out, await client.SendAsync(request, cancellationToken).ConfigureAwait(false));
            return ExitCode.Success;
        }

        return render(await fetch(client, cancellationToken).ConfigureAwait(false));
    }
}
