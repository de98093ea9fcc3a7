using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Internal;

// groups and set-group: the memory group tree, read and changed (memory.high / memory.max).
internal sealed partial class CommandHandler
{
    private GroupListResult Groups()
    {
        var groups = new List<GroupInfo>();
        foreach (MemoryGroup group in GroupWalk.PreOrder(registry.Root))
        {
            groups.Add(Describe(group));
        }

        return new GroupListResult { Groups = groups };
    }

    private GroupInfo SetGroup(DiagnosticRequest request)
    {
        long id = request.Group!.Value;
        MemoryGroup group = registry.FindGroup(id)
            ?? throw new CommandException(DiagnosticErrorCode.NotFound,
                $"No online memory group has id {id}; 'groups' lists them (the root's id is 1).");
        try
        {
            if (request.Limit == GroupLimitKind.High)
            {
                group.High = request.Bytes!.Value;
            }
            else
            {
                group.Max = request.Bytes!.Value;
            }
        }
        catch (ArgumentException ex)
        {
            throw new CommandException(DiagnosticErrorCode.InvalidArgument, Plain(ex));
        }

        log($"Memory group {group.Path} (id {id}): {(request.Limit == GroupLimitKind.High ? "high" : "max")} set to {request.Bytes} by the debug endpoint.");
        return Describe(group);
    }

    private static GroupInfo Describe(MemoryGroup group) => new()
    {
        Id = group.Id,
        Parent = group.Parent?.Id,
        Path = group.Path,
        Depth = Depth(group),
        Usage = group.Usage,
        High = group.High,
        Max = group.Max,
    };

    private static int Depth(MemoryGroup group)
    {
        int depth = 0;
        for (MemoryGroup? g = group.Parent; g is not null; g = g.Parent)
        {
            depth++;
        }

        return depth;
    }
}
