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

    public long ReadWorkingSet() => _statm.Read();

    public void InduceCollection() => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

    public void Dispose()
    {
        cgroup?.Dispose();
        _statm.Dispose();
    }

    private readonly ResidentSetReader _statm = new();

    /// <summary>
    /// The resident set from <c>/proc/self/statm</c> (its second field, in pages), read from a kept-open handle into a
    /// small buffer: no allocation per reading, where <see cref="Environment.WorkingSet"/> costs ~25 us and 3 KB.
    /// Elsewhere, <see cref="Environment.WorkingSet"/>.
    /// </summary>
    private sealed class ResidentSetReader : IDisposable
    {
        private readonly object _gate = new();
        private readonly byte[] _buffer = new byte[128];
        private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
        private bool _unavailable = !OperatingSystem.IsLinux();

        public long Read()
        {
            lock (_gate)
            {
                if (!_unavailable)
                {
                    try
                    {
                        _file ??= File.OpenHandle("/proc/self/statm");
                        ReadOnlySpan<byte> text = _buffer.AsSpan(0, RandomAccess.Read(_file, _buffer, 0));
                        int space = text.IndexOf((byte)' ');
                        if (space > 0 && System.Buffers.Text.Utf8Parser.TryParse(text[(space + 1)..], out long pages, out _))
                        {
                            return pages * Environment.SystemPageSize;
                        }
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                    }

                    _unavailable = true;
                }
            }

            return Environment.WorkingSet;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _file?.Dispose();
                _file = null;
                _unavailable = true;
            }
        }
    }
}
