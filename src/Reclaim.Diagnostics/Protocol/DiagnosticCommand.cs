namespace Reclaim.Diagnostics.Protocol;

/// <summary>The commands of the debug endpoint's protocol; the wire name of each is in its summary.</summary>
public enum DiagnosticCommand
{
    /// <summary><c>list</c>: every registered shrinker as <c>name-id</c>, with its flags, seeks, batch and statistics.</summary>
    List,

    /// <summary><c>count</c>: the kernel's debugfs <c>count</c> file of one shrinker, one line per group with objects.</summary>
    Count,

    /// <summary><c>scan</c>: the kernel's debugfs <c>scan</c> write: one direct scan call of one shrinker.</summary>
    Scan,

    /// <summary><c>drop-caches</c>: <see cref="ShrinkerRegistry.DropCaches()"/>, as <c>echo 2 &gt; /proc/sys/vm/drop_caches</c>.</summary>
    DropCaches,

    /// <summary><c>groups</c>: the memory group tree with each group's usage, high and max.</summary>
    Groups,

    /// <summary><c>set-group</c>: sets one group's <c>high</c> or <c>max</c>.</summary>
    SetGroup,

    /// <summary><c>stat</c>: the reclaimer's limit, usage, watermarks, pressure level and recent runs.</summary>
    Stat,

    /// <summary><c>version</c>: the protocol versions the server speaks, the package and runtime versions, the process.</summary>
    Version,
}
