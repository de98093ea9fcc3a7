namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>stat</c>: the process, the registry, and the reclaimer when the server has one.</summary>
public sealed class StatResult
{
    /// <summary>The server's process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>The server's process name.</summary>
    public string ProcessName { get; init; } = string.Empty;

    /// <summary>How many nodes the registry distinguishes.</summary>
    public int NodeCount { get; init; }

    /// <summary>How many shrinkers are registered.</summary>
    public int Shrinkers { get; init; }

    /// <summary>How many memory groups are online, the root included.</summary>
    public int Groups { get; init; }

    /// <summary>Bytes charged to the root group (what shrinkable holders account for).</summary>
    public long ChargedBytes { get; init; }

    /// <summary>The reclaimer's state, or <see langword="null"/> when the server was given none.</summary>
    public ReclaimerInfo? Reclaimer { get; init; }
}

/// <summary>The reclaimer's state in a <c>stat</c> answer.</summary>
public sealed class ReclaimerInfo
{
    /// <summary>Whether background reclaim is running.</summary>
    public bool Running { get; init; }

    /// <summary>The memory limit in force.</summary>
    public LimitInfo Limit { get; init; } = new();

    /// <summary>Usage now, by every measure.</summary>
    public UsageInfo Usage { get; init; } = new();

    /// <summary>The watermarks, as fractions of the limit and in bytes.</summary>
    public WatermarksInfo Watermarks { get; init; } = new();

    /// <summary>The pressure level: <c>none</c>, <c>moderate</c> or <c>critical</c>.</summary>
    public string Level { get; init; } = string.Empty;

    /// <summary>How many background reclaim runs have completed.</summary>
    public long RunCount { get; init; }

    /// <summary>How many gen2 collections the reclaimer has induced.</summary>
    public long InducedCollections { get; init; }

    /// <summary>The pressure sources: which are watching, and why the others are not.</summary>
    public IReadOnlyList<PressureSourceInfo> Sources { get; init; } = [];

    /// <summary>The last background reclaim runs, oldest first (as many as the server keeps).</summary>
    public IReadOnlyList<ReclaimRunInfo> RecentRuns { get; init; } = [];
}

/// <summary>A memory limit and where it came from.</summary>
public sealed class LimitInfo
{
    /// <summary>The limit in bytes.</summary>
    public long Bytes { get; init; }

    /// <summary>Where it came from: <c>explicit</c>, <c>gc_heap_hard_limit</c>, <c>cgroup_v2</c>, <c>cgroup_v1</c> or <c>physical_memory</c>.</summary>
    public string Source { get; init; } = string.Empty;
}

/// <summary>One usage reading by every measure (<see cref="Pressure.MemoryUsage"/>).</summary>
public sealed class UsageInfo
{
    /// <summary>The measure compared with the limit.</summary>
    public long Bytes { get; init; }

    /// <summary>The managed heap, garbage not yet collected included.</summary>
    public long ManagedHeapBytes { get; init; }

    /// <summary>The memory cgroup's usage minus inactive file pages; -1 where there is no cgroup.</summary>
    public long CgroupBytes { get; init; }

    /// <summary>Bytes charged to the registry's root group.</summary>
    public long ChargedBytes { get; init; }
}

/// <summary>The reclaimer's watermarks.</summary>
public sealed class WatermarksInfo
{
    /// <summary>The fraction of the limit background reclaim brings usage down to.</summary>
    public double Target { get; init; }

    /// <summary>The fraction of the limit above which background reclaim starts.</summary>
    public double Start { get; init; }

    /// <summary>The fraction of the limit above which pressure is critical.</summary>
    public double Direct { get; init; }

    /// <summary><see cref="Target"/> of the limit, in bytes.</summary>
    public long TargetBytes { get; init; }

    /// <summary><see cref="Start"/> of the limit, in bytes.</summary>
    public long StartBytes { get; init; }

    /// <summary><see cref="Direct"/> of the limit, in bytes.</summary>
    public long DirectBytes { get; init; }
}

/// <summary>A pressure source's status (<see cref="Pressure.MemoryPressureSourceStatus"/>).</summary>
public sealed class PressureSourceInfo
{
    /// <summary>The source's name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Whether it is watching.</summary>
    public bool Active { get; init; }

    /// <summary>Why it is not, or <see langword="null"/>.</summary>
    public string? UnsupportedReason { get; init; }
}

/// <summary>One background reclaim run (<see cref="ReclaimRun"/>), as the server saw it complete.</summary>
public sealed class ReclaimRunInfo
{
    /// <summary>When the server saw the run complete (UTC), or <see langword="null"/> for a run that completed before the server started.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The source that woke the reclaimer (<c>sampling</c>, <c>gen2-gc</c>, <c>psi</c>, ...).</summary>
    public string Trigger { get; init; } = string.Empty;

    /// <summary>The pressure level the run worked at.</summary>
    public string Level { get; init; } = string.Empty;

    /// <summary>The usage reading that started it.</summary>
    public long UsageBytes { get; init; }

    /// <summary>The limit at the time.</summary>
    public long LimitBytes { get; init; }

    /// <summary>The bytes it set out to free.</summary>
    public long TargetBytes { get; init; }

    /// <summary>Charged bytes it gave back.</summary>
    public long BytesFreed { get; init; }

    /// <summary>Objects the shrinkers reported freed.</summary>
    public long ObjectsFreed { get; init; }

    /// <summary>The hardest priority reached (12 gentlest, 0 hardest); -1 when no pass ran.</summary>
    public int LowestPriority { get; init; }

    /// <summary>Whether the target was met.</summary>
    public bool TargetMet { get; init; }

    /// <summary>Whether it induced a gen2 collection.</summary>
    public bool InducedCollection { get; init; }

    /// <summary>From the signal to the first pass, in milliseconds.</summary>
    public double ReactionTimeMs { get; init; }

    /// <summary>From the first pass to the end, in milliseconds.</summary>
    public double DurationMs { get; init; }
}
