using System.Text.Json.Serialization;
using Reclaim.Diagnostics.Internal;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>groups</c>: the online memory groups, the tree in pre-order from the root.</summary>
public sealed class GroupListResult
{
    /// <summary>The groups; a group's parent comes before it, and <see cref="GroupInfo.Depth"/> gives the indentation.</summary>
    public IReadOnlyList<GroupInfo> Groups { get; init; } = [];
}

/// <summary>
/// One memory group (an item of <c>groups</c>, and the answer to <c>set-group</c>). On the wire <c>high</c> and
/// <c>max</c> are numbers, or <c>"max"</c> for no limit as cgroup files write it.
/// </summary>
public sealed class GroupInfo
{
    /// <summary>The group's id (<see cref="MemoryGroup.Id"/>; the root's is 1).</summary>
    public long Id { get; init; }

    /// <summary>The parent's id, or <see langword="null"/> for the root.</summary>
    public long? Parent { get; init; }

    /// <summary>The path from the root (<c>/</c>, <c>/tenant-a</c>).</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Levels below the root (the root's is 0).</summary>
    public int Depth { get; init; }

    /// <summary>Bytes charged to the group and its descendants.</summary>
    public long Usage { get; init; }

    /// <summary>The soft limit in bytes, <see cref="MemoryGroup.Unlimited"/> for none.</summary>
    [JsonConverter(typeof(LimitJsonConverter))]
    public long High { get; init; }

    /// <summary>The hard limit in bytes, <see cref="MemoryGroup.Unlimited"/> for none.</summary>
    [JsonConverter(typeof(LimitJsonConverter))]
    public long Max { get; init; }
}
