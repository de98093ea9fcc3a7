using Reclaim.Diagnostics.Protocol;
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
    public Task<ExitCode> RunAsync(TargetOptions target, string shrinker, bool json, CancellationToken cancellationToken) =>
        ReadCommand.RunAsync(context, target, json, DiagnosticRequest.Count(shrinker), (client, ct) => client.CountAsync(shrinker, ct), Print, cancellationToken);

    private ExitCode Print(ShrinkerCountResult count)
    {
        foreach (string line in count.Lines)
        {
            context.Out.WriteLine(line);
        }

        context.Out.Flush();
        return ExitCode.Success;
    }
}
