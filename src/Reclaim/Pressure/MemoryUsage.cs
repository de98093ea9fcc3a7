namespace Reclaim.Pressure;

/// <summary>One reading of how much memory the process uses, by each measure the reclaimer has.</summary>
/// <param name="Bytes">The measure that is compared with the limit: the one that belongs to the limit's source.</param>
/// <param name="ManagedHeapBytes">The managed heap, garbage not yet collected included (<see cref="GC.GetTotalMemory(bool)"/>).</param>
/// <param name="CgroupBytes">The memory cgroup's usage minus inactive file pages; -1 where there is no cgroup.</param>
/// <param name="ChargedBytes">Bytes charged to the registry's root group (what shrinkable holders account for).</param>
public readonly record struct MemoryUsage(long Bytes, long ManagedHeapBytes, long CgroupBytes, long ChargedBytes);
