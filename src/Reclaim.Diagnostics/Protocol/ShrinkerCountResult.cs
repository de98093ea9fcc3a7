namespace Reclaim.Diagnostics.Protocol;

/// <summary>
/// The answer to <c>count</c>: the kernel's debugfs <c>count</c> file of one shrinker, as text lines and structured.
/// </summary>
public sealed class ShrinkerCountResult
{
    /// <summary>The shrinker's debug name, <c>name-id</c>.</summary>
    public string Shrinker { get; init; } = string.Empty;

    /// <summary>How many nodes each line has counts for.</summary>
    public int NodeCount { get; init; }

    /// <summary>
    /// The file's lines: <c>&lt;group id&gt; &lt;count on node 0&gt; &lt;count on node 1&gt; ...</c>, one per online group
    /// whose total is above 0, in pre-order from the root (id 1); one line with group id 0 for a shrinker that is not
    /// group-aware (none when its total is 0). A shrinker that is not node-aware shows 0 on every node but 0.
    /// </summary>
    public IReadOnlyList<string> Lines { get; init; } = [];

    /// <summary>The same as <see cref="Lines"/>, structured.</summary>
    public IReadOnlyList<GroupObjectCount> Groups { get; init; } = [];
}

/// <summary>One line of a <c>count</c> answer.</summary>
public sealed class GroupObjectCount
{
    /// <summary>The group's id; 0 for a shrinker that is not group-aware.</summary>
    public long Group { get; init; }

    /// <summary>The count on each node, from node 0.</summary>
    public IReadOnlyList<long> Counts { get; init; } = [];

    /// <summary>The counts summed (saturating).</summary>
    public long Total { get; init; }
}
