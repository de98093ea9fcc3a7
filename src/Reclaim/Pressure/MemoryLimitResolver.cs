namespace Reclaim.Pressure;

/// <summary>
/// Resolves the limit the process must live within: an explicit one if given; otherwise the smallest of the GC heap
/// hard limit, the memory cgroup's limit and physical memory, with where it came from. Re-resolve to follow a limit
/// changed at run time (<see cref="GC.RefreshMemoryLimit"/>, a cgroup write).
/// </summary>
internal sealed class MemoryLimitResolver(CgroupMemory? cgroup, Func<long> heapHardLimit, Func<long> physicalMemory)
{
    /// <summary>A resolver over this process: its cgroup, <see cref="GC.GetConfigurationVariables"/>' heap hard limit, and <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>.</summary>
    public static MemoryLimitResolver ForThisProcess(CgroupMemory? cgroup) =>
        new(cgroup, ReadHeapHardLimit, static () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>The limit: <paramref name="explicitBytes"/> when given, else the smallest source.</summary>
    public MemoryLimit Resolve(long? explicitBytes = null)
    {
        if (explicitBytes is { } bytes)
        {
            return new MemoryLimit(bytes, MemoryLimitSource.Explicit);
        }

        var best = new MemoryLimit(Math.Max(1, physicalMemory()), MemoryLimitSource.PhysicalMemory);
        if (cgroup?.ReadLimit() is { } cgroupLimit && cgroupLimit < best.Bytes)
        {
            best = new MemoryLimit(cgroupLimit, cgroup.Version == 1 ? MemoryLimitSource.CgroupV1 : MemoryLimitSource.CgroupV2);
        }

        long hard = heapHardLimit();
        if (hard > 0 && hard <= best.Bytes)
        {
            best = new MemoryLimit(hard, MemoryLimitSource.GCHeapHardLimit);
        }

        return best;
    }

    private static long ReadHeapHardLimit() =>
        GC.GetConfigurationVariables().TryGetValue("GCHeapHardLimit", out object? value) && value is not null
            ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)
            : 0;
}
