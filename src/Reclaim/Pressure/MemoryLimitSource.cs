namespace Reclaim.Pressure;

/// <summary>Where the process's memory limit came from (most specific first).</summary>
public enum MemoryLimitSource
{
    /// <summary>Set by the application.</summary>
    Explicit,

    /// <summary>The GC heap hard limit (<c>DOTNET_GCHeapHardLimit</c>, runtimeconfig, or the runtime's container default).</summary>
    GCHeapHardLimit,

    /// <summary>A cgroup v2 <c>memory.max</c> (the smallest over the process's cgroup and its ancestors).</summary>
    CgroupV2,

    /// <summary>A cgroup v1 <c>memory.limit_in_bytes</c> (the smallest over the process's cgroup and its ancestors).</summary>
    CgroupV1,

    /// <summary>The machine's physical memory.</summary>
    PhysicalMemory,
}

/// <summary>A resolved memory limit and where it came from.</summary>
/// <param name="Bytes">The limit in bytes.</param>
/// <param name="Source">Where it came from.</param>
public readonly record struct MemoryLimit(long Bytes, MemoryLimitSource Source);
