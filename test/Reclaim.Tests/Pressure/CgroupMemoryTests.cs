using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure;

/// <summary>The cgroup readers over fake hierarchies (v1, v2, hybrid), and once over this machine's own cgroup.</summary>
public sealed class CgroupMemoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("reclaim-cgroup-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void Detect_V2_ReadsSmallestMaxUpTheHierarchyAndUsageMinusInactiveFile()
    {
        Write("memory.current", "999999\n");
        Write("svc/memory.max", "1073741824\n");
        Write("svc/memory.high", "max\n");
        Write("svc/app/memory.max", "max\n");
        Write("svc/app/memory.high", "805306368\n");
        Write("svc/app/memory.current", "500000000\n");
        Write("svc/app/memory.stat", "anon 300000000\nfile 200000000\ninactive_file 150000000\nactive_file 50000000\n");

        CgroupMemory? cgroup = CgroupMemory.Detect("0::/svc/app\n", _root);

        Assert.NotNull(cgroup);
        Assert.Equal(2, cgroup.Version);
        Assert.Equal(1073741824, cgroup.ReadLimit()); // the parent's max bounds the child's "max"
        Assert.Equal(805306368, cgroup.ReadHigh());
        Assert.Equal(350000000, cgroup.ReadUsage());
    }

    [Fact]
    public void ReadUsage_FilesChange_FollowsThemWithoutAllocating()
    {
        Write("memory.usage_in_bytes", "1000000\n");
        Write("memory.limit_in_bytes", "9223372036854771712\n");
        Write("memory.stat", "cache 5\ninactive_file 7\ntotal_inactive_file 300000\n");
        using CgroupMemory cgroup = CgroupMemory.ForDirectory(1, _root, _root);
        Assert.Equal(700000, cgroup.ReadUsage());

        Write("memory.usage_in_bytes", "2000000\n"); // rewritten in place, as the kernel's files change
        long before = GC.GetAllocatedBytesForCurrentThread();
        long? usage = cgroup.ReadUsage();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1700000, usage);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReadUsage_StatLargerThanTheBuffer_StillFindsTheKey()
    {
        Write("memory.current", "10000\n");
        Write("memory.stat", string.Concat(Enumerable.Range(0, 500).Select(i => $"key{i} {i}\n")) + "inactive_file 4000\n");
        using CgroupMemory cgroup = CgroupMemory.ForDirectory(2, _root, _root);

        Assert.Equal(6000, cgroup.ReadUsage());
    }

    [Fact]
    public void ReadUsage_FilesGone_ReturnsNull()
    {
        using CgroupMemory cgroup = CgroupMemory.ForDirectory(2, Path.Combine(_root, "gone"), _root);

        Assert.Null(cgroup.ReadUsage());
    }

    [Fact]
    public void Detect_HybridWithV1Memory_UsesV1AndTreatsHugeLimitAsUnlimited()
    {
        Write("memory/memory.limit_in_bytes", "9223372036854771712\n");
        Write("memory/job/memory.limit_in_bytes", "9223372036854771712\n");
        Write("memory/job/memory.usage_in_bytes", "133632000\n");
        Write("memory/job/memory.stat", "cache 1\ninactive_file 5\ntotal_inactive_file 68820992\n");

        CgroupMemory? cgroup = CgroupMemory.Detect("4:memory:/job\n1:cpu,cpuacct:/\n0::/\n", _root);

        Assert.NotNull(cgroup);
        Assert.Equal(1, cgroup.Version);
        Assert.Null(cgroup.ReadLimit());
        Assert.Null(cgroup.ReadHigh());
        Assert.Equal(133632000 - 68820992, cgroup.ReadUsage());

        Write("memory/job/memory.limit_in_bytes", "536870912\n"); // a limit set at run time is followed
        Assert.Equal(536870912, cgroup.ReadLimit());
    }

    [Fact]
    public void Detect_PathNotMountedThere_FallsBackToTheMountRoot()
    {
        Write("memory.max", "268435456\n");
        Write("memory.current", "1\n");

        CgroupMemory? cgroup = CgroupMemory.Detect("0::/kubepods/pod1/ctr\n", _root);

        Assert.NotNull(cgroup);
        Assert.Equal(268435456, cgroup.ReadLimit());
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("5:cpu:/\n")]
    public void Detect_NoMemoryController_ReturnsNull(string procSelfCgroup)
    {
        Assert.Null(CgroupMemory.Detect(procSelfCgroup, _root));
    }

    [Theory]
    [InlineData("max", true, null)]
    [InlineData("1048576\n", true, 1048576L)]
    [InlineData("9223372036854771712", true, null)]
    [InlineData("-1", false, null)]
    [InlineData("12ab", false, null)]
    public void TryParseLimit_KernelTexts(string text, bool ok, long? expected)
    {
        Assert.Equal(ok, CgroupMemory.TryParseLimit(text, out long? limit));
        Assert.Equal(expected, limit);
    }

    [Fact]
    public void Detect_ThisMachine_FindsTheMemoryCgroupWhenProcListsOne()
    {
        string self = File.Exists("/proc/self/cgroup") ? File.ReadAllText("/proc/self/cgroup") : string.Empty;
        Assert.SkipUnless(self.Contains("memory", StringComparison.Ordinal) || self.Contains("0::", StringComparison.Ordinal),
            "this machine lists no cgroup for the process in /proc/self/cgroup");

        CgroupMemory? cgroup = CgroupMemory.Detect();

        Assert.SkipWhen(cgroup is null, "the process's memory cgroup is not mounted under /sys/fs/cgroup");
        long? usage = cgroup.ReadUsage();
        Assert.NotNull(usage);
        Assert.InRange(usage.Value, 1, long.MaxValue);
    }
}
