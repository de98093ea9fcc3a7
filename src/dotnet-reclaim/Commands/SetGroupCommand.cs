using System.Globalization;
using System.Text.Json;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Reclaim.Units;

namespace Reclaim.Tool.Commands;

/// <summary><c>set-group</c>: sets a memory group's <c>high</c> and/or <c>max</c>, as writing <c>memory.high</c> or <c>memory.max</c> does.</summary>
internal sealed class SetGroupCommand(ToolContext context)
{
    /// <summary>Sets the limits.</summary>
    /// <param name="target">The process.</param>
    /// <param name="group">The group: its id, or its path (<c>/tenant-a</c>).</param>
    /// <param name="high">The new high in bytes (<see cref="MemoryGroup.Unlimited"/> for none), or <see langword="null"/> to leave it.</param>
    /// <param name="max">The new max in bytes (<see cref="MemoryGroup.Unlimited"/> for none), or <see langword="null"/> to leave it.</param>
    /// <param name="json">Whether to print the group after the change as the endpoint's JSON.</param>
    /// <param name="cancellationToken">Stops the requests.</param>
    /// <returns><see cref="ExitCode.Success"/>.</returns>
    public async Task<ExitCode> RunAsync(TargetOptions target, string group, long? high, long? max, bool json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (high is null && max is null)
        {
            throw new ToolException(ExitCode.UsageError, "Give --high, --max or both.");
        }

        if (high is { } h && max is { } m && h != MemoryGroup.Unlimited && h > m)
        {
            throw new ToolException(ExitCode.UsageError, $"--high ({ByteSize.Format(h)}) must not be above --max ({ByteSize.FormatLimit(m)}).");
        }

        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        GroupListResult groups = await client.GetGroupsAsync(cancellationToken).ConfigureAwait(false);
        GroupInfo current = Find(groups.Groups, group);

        JsonElement answer = default;
        GroupInfo after = current;
        foreach ((GroupLimitKind kind, long bytes) in Steps(current, high, max))
        {
            if (json)
            {
                answer = await client.SendAsync(DiagnosticRequest.SetGroup(current.Id, kind, bytes), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                after = await client.SetGroupAsync(current.Id, kind, bytes, cancellationToken).ConfigureAwait(false);
            }
        }

        if (json)
        {
            JsonOutput.Write(context.Out, answer);
        }
        else
        {
            context.Out.WriteLine(
                $"{after.Path} ({Formats.Integer(after.Id)}): usage {ByteSize.Format(after.Usage)}, high {ByteSize.FormatLimit(after.High)}, max {ByteSize.FormatLimit(after.Max)}");
            context.Out.Flush();
        }

        return ExitCode.Success;
    }

    /// <summary>
    /// The changes in an order that keeps <c>high &lt;= max</c> at every step (the endpoint refuses any other): max first
    /// when it stays at or above the current high, else high first.
    /// </summary>
    /// <param name="current">The group before.</param>
    /// <param name="high">The new high, or <see langword="null"/>.</param>
    /// <param name="max">The new max, or <see langword="null"/>.</param>
    /// <returns>The requests to send, in order.</returns>
    public static IReadOnlyList<(GroupLimitKind Kind, long Bytes)> Steps(GroupInfo current, long? high, long? max)
    {
        ArgumentNullException.ThrowIfNull(current);
        var steps = new List<(GroupLimitKind, long)>(2);
        if (max is { } m && high is { } h)
        {
            if (current.High == MemoryGroup.Unlimited || m >= current.High)
            {
                steps.Add((GroupLimitKind.Max, m));
                steps.Add((GroupLimitKind.High, h));
            }
            else
            {
                steps.Add((GroupLimitKind.High, h));
                steps.Add((GroupLimitKind.Max, m));
            }
        }
        else if (max is { } onlyMax)
        {
            steps.Add((GroupLimitKind.Max, onlyMax));
        }
        else if (high is { } onlyHigh)
        {
            steps.Add((GroupLimitKind.High, onlyHigh));
        }

        return steps;
    }

    private static GroupInfo Find(IReadOnlyList<GroupInfo> groups, string group)
    {
        bool byId = long.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out long id);
        string path = group.Length > 1 ? group.TrimEnd('/') : group;
        foreach (GroupInfo info in groups)
        {
            if (byId ? info.Id == id : info.Path.Equals(path, StringComparison.Ordinal))
            {
                return info;
            }
        }

        throw new ToolException(ExitCode.NotFound,
            byId ? $"No online memory group has id {group}; 'dotnet-reclaim groups' lists them."
                 : $"No online memory group has the path '{group}'; 'dotnet-reclaim groups' lists them.");
    }
}
