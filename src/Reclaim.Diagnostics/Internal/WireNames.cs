using Reclaim.Pressure;

namespace Reclaim.Diagnostics.Internal;

/// <summary>The wire names of the core's enums (snake_case, stable whatever the enums' C# names become).</summary>
internal static class WireNames
{
    public static string Of(ShrinkerState state) => state switch
    {
        ShrinkerState.Allocated => "allocated",
        ShrinkerState.Registered => "registered",
        ShrinkerState.Freeing => "freeing",
        ShrinkerState.Freed => "freed",
        _ => state.ToString(),
    };

    public static string Of(MemoryPressureLevel level) => level switch
    {
        MemoryPressureLevel.None => "none",
        MemoryPressureLevel.Moderate => "moderate",
        MemoryPressureLevel.Critical => "critical",
        _ => level.ToString(),
    };

    public static string Of(MemoryLimitSource source) => source switch
    {
        MemoryLimitSource.Explicit => "explicit",
        MemoryLimitSource.GCHeapHardLimit => "gc_heap_hard_limit",
        MemoryLimitSource.CgroupV2 => "cgroup_v2",
        MemoryLimitSource.CgroupV1 => "cgroup_v1",
        MemoryLimitSource.PhysicalMemory => "physical_memory",
        _ => source.ToString(),
    };
}
