using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Reclaim.Units;
using Spectre.Console;

namespace Reclaim.Tool.Commands;

/// <summary><c>groups</c>: the memory group tree with each group's usage, high and max (the cgroup files <c>memory.current</c>, <c>memory.high</c>, <c>memory.max</c>).</summary>
internal sealed class GroupsCommand(ToolContext context)
{
    /// <summary>Shows the tree.</summary>
    /// <param name="target">The process.</param>
    /// <param name="json">Whether to print the endpoint's JSON.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public Task<ExitCode> RunAsync(TargetOptions target, bool json, CancellationToken cancellationToken) =>
        ReadCommand.RunAsync(
            context, target, json, DiagnosticRequest.Groups(), (client, ct) => client.GetGroupsAsync(ct),
            groups =>
            {
                context.Console.Write(Render(groups.Groups));
                return ExitCode.Success;
            },
            cancellationToken);

    /// <summary>The tree as a table whose first column draws the branches.</summary>
    /// <param name="groups">The groups in pre-order, as <c>groups</c> answers.</param>
    /// <returns>The table.</returns>
    public static Table Render(IReadOnlyList<GroupInfo> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var table = Tables.Create("GROUP", ">ID", ">USAGE", ">HIGH", ">MAX");
        foreach ((GroupInfo group, string branch) in WithBranches(groups))
        {
            Style? usageStyle = group.Usage >= group.Max ? new Style(Color.Red)
                : group.Usage >= group.High ? new Style(Color.Yellow)
                : (Style?)null;
            table.AddRow(
                Tables.Cell(branch + (group.Parent is null ? "/" : Path.GetFileName(group.Path))),
                Tables.Cell(Formats.Integer(group.Id)),
                Tables.Cell(ByteSize.Format(group.Usage), usageStyle),
                Tables.Cell(ByteSize.FormatLimit(group.High)),
                Tables.Cell(ByteSize.FormatLimit(group.Max)));
        }

        return table;
    }

    /// <summary>Each group with the tree guides before its name (<c>├─ </c>, <c>│  └─ </c>), as <c>tree</c> draws them.</summary>
    private static IEnumerable<(GroupInfo Group, string Branch)> WithBranches(IReadOnlyList<GroupInfo> groups)
    {
        var byId = groups.ToDictionary(g => g.Id);
        var lastChild = new Dictionary<long, long>();
        foreach (GroupInfo group in groups)
        {
            if (group.Parent is { } parent)
            {
                lastChild[parent] = group.Id; // pre-order: the last one seen is the last child
            }
        }

        foreach (GroupInfo group in groups)
        {
            var guides = new Stack<string>();
            bool self = true;
            for (GroupInfo g = group; g.Parent is { } parent && byId.TryGetValue(parent, out GroupInfo? up); g = up)
            {
                bool isLast = lastChild[parent] == g.Id;
                guides.Push(self ? (isLast ? "└─ " : "├─ ") : (isLast ? "   " : "│  "));
                self = false;
            }

            yield return (group, string.Concat(guides));
        }
    }
}
