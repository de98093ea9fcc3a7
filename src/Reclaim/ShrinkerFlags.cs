namespace Reclaim;

/// <summary>
/// What a <see cref="Shrinker"/> keeps apart, fixed when it is allocated with
/// <see cref="ShrinkerRegistry.Alloc(string, ShrinkerFlags)"/>. The kernel's <c>SHRINKER_*_AWARE</c> flags.
/// </summary>
[Flags]
#pragma warning disable CA1711 // The kernel calls these flags; the name says so on purpose.
public enum ShrinkerFlags
#pragma warning restore CA1711
{
    /// <summary>One count and one deferred counter for the whole process; every pass calls it with node 0.</summary>
    None = 0,

    /// <summary>
    /// Objects are kept per node (<c>SHRINKER_NUMA_AWARE</c>): the shrinker is called with the node of the pass and
    /// keeps one deferred counter per node of its registry (<see cref="ShrinkerRegistry.NodeCount"/>).
    /// </summary>
    NodeAware = 1,

    /// <summary>
    /// Objects are kept per memory group (<c>SHRINKER_MEMCG_AWARE</c>): the shrinker is called with the group of the
    /// pass and keeps its deferred work per group.
    /// </summary>
    GroupAware = 2,
}
