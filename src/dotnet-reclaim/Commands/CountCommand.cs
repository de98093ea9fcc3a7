using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;

namespace Reclaim.Tool.Commands;

/// <summary>
/// <c>count</c>: one shrinker's objects, exactly as the kernel's <c>/sys/kernel/debug/shrinker/&lt;name-id&gt;/count</c>
/// prints them: a line <c>&lt;group id&gt; &lt;count on node 0&gt; ...</c> per group with objects, nothing when it has none.
/// </summary>
internal sealed class CountCommand(ToolContext context)
{
    /// <summary>Prints the count lines.</summary>
    /// <param name="target">The process.</param>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c> (as <c>list</c> shows it).</param>
    /// <param name="json">Whether to print the endpoint's JSON (the lines and the same structured).</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public async Task<ExitCode> RunAsync(TargetOptions target, string shrinker, bool json, CancellationToken cancellationToken)
    {
        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            JsonOutput.Write(context.Out, await client.SendAsync(DiagnosticRequest.Count(shrinker), cancellationToken).ConfigureAwait(false));
            return ExitCode.Success;
        }

        ShrinkerCountResult count = await client.CountAsync(shrinker, cancellationToken).ConfigureAwait(false);
        foreach (string line in count.Lines)
        {
            context.Out.WriteLine(line);
        }

        context.Out.Flush();
        return ExitCode.Success;
    }
}
