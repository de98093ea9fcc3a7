using System.Globalization;
using System.Text;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Internal;

// list, count, scan, drop-caches: the kernel's debugfs shrinker files and drop_caches.
internal sealed partial class CommandHandler
{
    private ShrinkerListResult List()
    {
        Shrinker[] shrinkers = registry.GetShrinkers();
        var items = new List<ShrinkerInfo>(shrinkers.Length);
        foreach (Shrinker shrinker in shrinkers)
        {
            ShrinkerStatistics statistics = shrinker.GetStatistics();
            var flags = new List<string>(2);
            if (shrinker.IsNodeAware)
            {
                flags.Add("node_aware");
            }

            if (shrinker.IsGroupAware)
            {
                flags.Add("group_aware");
            }

            items.Add(new ShrinkerInfo
            {
                Shrinker = shrinker.ToString(),
                Name = shrinker.Name,
                Id = shrinker.DebugId,
                Flags = flags,
                State = WireNames.Of(shrinker.State),
                Seeks = shrinker.Seeks,
                Batch = shrinker.Batch,
                Statistics = new ShrinkerStatisticsInfo
                {
                    Passes = statistics.Passes,
                    ObjectsScanned = statistics.ObjectsScanned,
                    ObjectsFreed = statistics.ObjectsFreed,
                    CallbackErrors = statistics.CallbackErrors,
                    ContractViolations = statistics.ContractViolations,
                    Deferred = statistics.Deferred,
                    TimeInCallbacksMs = (long)statistics.TimeInCallbacks.TotalMilliseconds,
                    RunningCallbacks = statistics.RunningCallbacks,
                    RunningForMs = statistics.RunningFor is { } runningFor ? (long)runningFor.TotalMilliseconds : null,
                },
            });
        }

        return new ShrinkerListResult { NodeCount = registry.NodeCount, Shrinkers = items };
    }

    /// <summary>
    /// The kernel's <c>shrinker_debugfs_count_show</c>: for a group-aware shrinker every online group from the root in
    /// pre-order, else once with group id 0; on each node the shrinker's count (node 0 only for a shrinker that is not
    /// node-aware, the others 0), <see cref="Shrinker.Empty"/> taken as 0; lines whose total is 0 left out.
    /// </summary>
    private ShrinkerCountResult Count(string debugName)
    {
        Shrinker shrinker = FindShrinker(debugName);
        var lines = new List<string>();
        var groups = new List<GroupObjectCount>();
        try
        {
            if (shrinker.IsGroupAware)
            {
                foreach (MemoryGroup group in GroupWalk.PreOrder(registry.Root))
                {
                    CountLine(shrinker, group, group.Id, lines, groups);
                }
            }
            else
            {
                CountLine(shrinker, null, 0, lines, groups);
            }
        }
        catch (InvalidOperationException) when (!shrinker.IsRegistered)
        {
            throw new CommandException(DiagnosticErrorCode.NotFound, $"Shrinker '{shrinker}' was freed while it was being counted.");
        }

        return new ShrinkerCountResult { Shrinker = shrinker.ToString(), NodeCount = registry.NodeCount, Lines = lines, Groups = groups };
    }

    private void CountLine(Shrinker shrinker, MemoryGroup? group, long groupId, List<string> lines, List<GroupObjectCount> groups)
    {
        long[] counts = new long[registry.NodeCount];
        long total = 0;
        for (int node = 0; node < counts.Length; node++)
        {
            if (node != 0 && !shrinker.IsNodeAware)
            {
                continue;
            }

            long count;
            try
            {
                count = shrinker.DebugCount(node, group);
            }
            catch (ArgumentException) when (group is { IsOnline: false })
            {
                return; // Went offline meanwhile: the kernel skips offline groups.
            }

            counts[node] = count == Shrinker.Empty ? 0 : count;
            total = counts[node] > long.MaxValue - total ? long.MaxValue : total + counts[node];
        }

        if (total == 0)
        {
            return;
        }

        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{groupId}");
        foreach (long count in counts)
        {
            line.Append(CultureInfo.InvariantCulture, $" {count}");
        }

        lines.Add(line.ToString());
        groups.Add(new GroupObjectCount { Group = groupId, Counts = counts, Total = total });
    }

    /// <summary>
    /// The kernel's <c>shrinker_debugfs_scan_write</c>: node out of range, invalid argument; 0 objects, nothing; a group
    /// for a shrinker that is not group-aware (any id but 0), invalid argument; an unknown or offline group, not found;
    /// else one direct scan call.
    /// </summary>
    private ShrinkerScanResult Scan(DiagnosticRequest request)
    {
        Shrinker shrinker = FindShrinker(request.Shrinker!);
        long groupId = request.Group!.Value;
        int node = request.Node!.Value;
        long nrToScan = request.NrToScan!.Value;
        var result = new ShrinkerScanResult { Shrinker = shrinker.ToString(), Group = groupId, Node = node, NrToScan = nrToScan };
        if (node >= registry.NodeCount)
        {
            throw new CommandException(DiagnosticErrorCode.InvalidArgument,
                $"Node {node} is out of range: the registry has {registry.NodeCount} node(s), 0 to {registry.NodeCount - 1}.");
        }

        if (nrToScan == 0)
        {
            return result;
        }

        MemoryGroup? group = null;
        if (shrinker.IsGroupAware)
        {
            group = registry.FindGroup(groupId)
                ?? throw new CommandException(DiagnosticErrorCode.NotFound,
                    $"No online memory group has id {groupId}; 'groups' lists them (the root's id is 1).");
        }
        else if (groupId != 0)
        {
            throw new CommandException(DiagnosticErrorCode.InvalidArgument,
                $"Shrinker '{shrinker}' is not group-aware: its objects belong to no group, so its group id is 0 (not {groupId}).");
        }

        long freed;
        long nrScanned;
        Exception? error;
        try
        {
            freed = shrinker.DebugScan(node, group, nrToScan, out nrScanned, out error);
        }
        catch (InvalidOperationException) when (!shrinker.IsRegistered)
        {
            throw new CommandException(DiagnosticErrorCode.NotFound, $"Shrinker '{shrinker}' was freed before it could be scanned.");
        }
        catch (ArgumentException) when (group is { IsOnline: false })
        {
            throw new CommandException(DiagnosticErrorCode.NotFound, $"Memory group {groupId} went offline before the scan.");
        }

        return new ShrinkerScanResult
        {
            Shrinker = result.Shrinker,
            Group = groupId,
            Node = node,
            NrToScan = nrToScan,
            Freed = freed == Shrinker.Stop ? 0 : freed,
            NrScanned = nrScanned,
            Stopped = freed == Shrinker.Stop,
            CallbackError = error is null ? null : $"{error.GetType().Name}: {error.Message}",
        };
    }

    /// <summary><c>drop_caches</c>: one at a time (a second gets <c>busy</c>); stopped when the server stops.</summary>
    private DropCachesResult DropCaches()
    {
        if (Interlocked.CompareExchange(ref _dropping, 1, 0) != 0)
        {
            throw new CommandException(DiagnosticErrorCode.Busy, "A drop-caches is already running; try again when it ends.");
        }

        try
        {
            long start = time.GetTimestamp();
            long freed = registry.DropCaches(Stopping);
            return new DropCachesResult { Freed = freed, ElapsedMs = time.GetElapsedTime(start).TotalMilliseconds };
        }
        finally
        {
            Volatile.Write(ref _dropping, 0);
        }
    }

    /// <summary>Cancelled when the server stops; long commands check it.</summary>
    public CancellationToken Stopping { get; init; }
}
