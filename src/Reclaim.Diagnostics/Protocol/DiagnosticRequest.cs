using Reclaim.Groups;

namespace Reclaim.Diagnostics.Protocol;

/// <summary>
/// One request of the debug endpoint's protocol. Make one with the factory of its command
/// (<see cref="Count(string)"/>, <see cref="Scan(string, long, int, long)"/>, ...); the server gets it from
/// <see cref="DiagnosticProtocol.TryParseRequest"/>, which checks every field the command needs is there and no other.
/// </summary>
/// <remarks>On the wire: <c>{"v":1,"cmd":"scan","shrinker":"cache-3","group":0,"node":0,"nr_to_scan":128}</c>.</remarks>
public sealed record DiagnosticRequest
{
    private DiagnosticRequest(DiagnosticCommand command) => Command = command;

    /// <summary>The protocol version the request is written in (wire <c>v</c>).</summary>
    /// <value>The default value is <see cref="DiagnosticProtocol.Version"/>.</value>
    public int ProtocolVersion { get; init; } = DiagnosticProtocol.Version;

    /// <summary>The command (wire <c>cmd</c>).</summary>
    public DiagnosticCommand Command { get; }

    /// <summary>For <c>count</c> and <c>scan</c>: the shrinker's debug name, <c>name-id</c> (wire <c>shrinker</c>).</summary>
    public string? Shrinker { get; init; }

    /// <summary>
    /// For <c>scan</c>: the memory group id, 0 for a shrinker that is not group-aware; for <c>set-group</c>: the group
    /// to change (wire <c>group</c>).
    /// </summary>
    public long? Group { get; init; }

    /// <summary>For <c>scan</c>: the node (wire <c>node</c>).</summary>
    public int? Node { get; init; }

    /// <summary>For <c>scan</c>: how many objects to ask for; 0 does nothing (wire <c>nr_to_scan</c>).</summary>
    public long? NrToScan { get; init; }

    /// <summary>For <c>set-group</c>: which limit (wire <c>limit</c>: <c>high</c> or <c>max</c>).</summary>
    public GroupLimitKind? Limit { get; init; }

    /// <summary>
    /// For <c>set-group</c>: the new limit in bytes, <see cref="MemoryGroup.Unlimited"/> for none (wire <c>bytes</c>: a
    /// number, or <c>"max"</c> as cgroup files write it).
    /// </summary>
    public long? Bytes { get; init; }

    /// <summary>A <c>list</c> request.</summary>
    /// <returns>The request.</returns>
    public static DiagnosticRequest List() => new(DiagnosticCommand.List);

    /// <summary>A <c>count</c> request.</summary>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shrinker"/> is <see langword="null"/>.</exception>
    public static DiagnosticRequest Count(string shrinker)
    {
        ArgumentNullException.ThrowIfNull(shrinker);
        return new(DiagnosticCommand.Count) { Shrinker = shrinker };
    }

    /// <summary>A <c>scan</c> request: one direct scan call, as a write to the kernel's debugfs <c>scan</c> file.</summary>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c>.</param>
    /// <param name="group">The memory group id; 0 for a shrinker that is not group-aware.</param>
    /// <param name="node">The node.</param>
    /// <param name="nrToScan">How many objects to ask for; 0 does nothing.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shrinker"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A number is negative.</exception>
    public static DiagnosticRequest Scan(string shrinker, long group, int node, long nrToScan)
    {
        ArgumentNullException.ThrowIfNull(shrinker);
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfNegative(nrToScan);
        return new(DiagnosticCommand.Scan) { Shrinker = shrinker, Group = group, Node = node, NrToScan = nrToScan };
    }

    /// <summary>A <c>drop-caches</c> request.</summary>
    /// <returns>The request.</returns>
    public static DiagnosticRequest DropCaches() => new(DiagnosticCommand.DropCaches);

    /// <summary>A <c>groups</c> request.</summary>
    /// <returns>The request.</returns>
    public static DiagnosticRequest Groups() => new(DiagnosticCommand.Groups);

    /// <summary>A <c>set-group</c> request.</summary>
    /// <param name="group">The group's id.</param>
    /// <param name="limit">Which limit.</param>
    /// <param name="bytes">The new limit in bytes; <see cref="MemoryGroup.Unlimited"/> for none.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A number is negative, or <paramref name="limit"/> is not a <see cref="GroupLimitKind"/>.</exception>
    public static DiagnosticRequest SetGroup(long group, GroupLimitKind limit, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (limit is not (GroupLimitKind.High or GroupLimitKind.Max))
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit is High or Max.");
        }

        return new(DiagnosticCommand.SetGroup) { Group = group, Limit = limit, Bytes = bytes };
    }

    /// <summary>A <c>stat</c> request.</summary>
    /// <returns>The request.</returns>
    public static DiagnosticRequest Stat() => new(DiagnosticCommand.Stat);

    /// <summary>A <c>version</c> request.</summary>
    /// <returns>The request.</returns>
    public static DiagnosticRequest Version() => new(DiagnosticCommand.Version);

    /// <summary>A request of <paramref name="command"/> with no fields yet (the parser fills them).</summary>
    internal static DiagnosticRequest Create(DiagnosticCommand command) => new(command);
}
