namespace Reclaim.Pressure;

/// <summary>
/// Where the reclaimer gets its readings: the limit, the usage measures and the collection count, and how it induces a
/// collection. The process's own in production; fakes in tests, so the reclaimer's decisions are tested on readings.
/// </summary>
internal interface IMemoryReader
{
    /// <summary>The limit: <paramref name="explicitBytes"/> when given, else the smallest source.</summary>
    MemoryLimit ResolveLimit(long? explicitBytes);

    /// <summary>The managed heap, garbage since the last collection included.</summary>
    long ReadManagedHeap();

    /// <summary>The memory cgroup's usage minus inactive file pages; -1 without a cgroup.</summary>
    long ReadCgroupUsage();

    /// <summary>The process's resident memory.</summary>
    long ReadWorkingSet();

    /// <summary>How many collections of any generation have happened.</summary>
    int CollectionCount { get; }

    /// <summary>How many gen2 collections have happened: a change means everything reclaim dropped is now really free.</summary>
    int Gen2CollectionCount { get; }

    /// <summary>A blocking, compacting gen2 collection.</summary>
    void InduceCollection();
}

/// <summary>The readings of this process.</summary>
internal sealed class ProcessMemoryReader(MemoryLimitResolver resolver, CgroupMemory? cgroup) : IMemoryReader, IDisposable
{
    public static ProcessMemoryReader Create()
    {
        CgroupMemory? cgroup = CgroupMemory.Detect();
        return new ProcessMemoryReader(MemoryLimitResolver.ForThisProcess(cgroup), cgroup);
    }

    public int CollectionCount => GC.CollectionCount(0); // every collection collects gen0

    public int Gen2CollectionCount => GC.CollectionCount(2);

    public MemoryLimit ResolveLimit(long? explicitBytes) => resolver.Resolve(explicitBytes);

    public long ReadManagedHeap() => GC.GetTotalMemory(forceFullCollection: false);

    public long ReadCgroupUsage() => cgroup?.ReadUsage() ?? -1;

    public long ReadWorkingSet() => Environment.WorkingSet;

    public void InduceCollection() => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

    public void Dispose() => cgroup?.Dispose();
}
