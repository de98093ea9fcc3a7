namespace Reclaim.Diagnostics.Protocol;

/// <summary>Which limit of a memory group <c>set-group</c> sets (wire names <c>high</c> and <c>max</c>).</summary>
public enum GroupLimitKind
{
    /// <summary><c>high</c>: <see cref="Groups.MemoryGroup.High"/>, the line above which charges reclaim first.</summary>
    High,

    /// <summary><c>max</c>: <see cref="Groups.MemoryGroup.Max"/>, the line no charge may cross.</summary>
    Max,
}
