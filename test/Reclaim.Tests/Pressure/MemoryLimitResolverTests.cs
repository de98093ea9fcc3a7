using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure;

public sealed class MemoryLimitResolverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("reclaim-limit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private CgroupMemory CgroupWithMax(string max)
    {
        File.WriteAllText(Path.Combine(_root, "memory.max"), max);
        File.WriteAllText(Path.Combine(_root, "memory.current"), "1");
        return CgroupMemory.Detect("0::/\n", _root)!;
    }

    [Fact]
    public void Resolve_Explicit_WinsAndSaysSo()
    {
        var resolver = new MemoryLimitResolver(CgroupWithMax("1000"), () => 500, () => 10_000);

        Assert.Equal(new MemoryLimit(123, MemoryLimitSource.Explicit), resolver.Resolve(123));
    }

    [Fact]
    public void Resolve_SmallestSourceWins()
    {
        Assert.Equal(new MemoryLimit(500, MemoryLimitSource.GCHeapHardLimit), new MemoryLimitResolver(CgroupWithMax("1000"), () => 500, () => 10_000).Resolve());
        Assert.Equal(new MemoryLimit(1000, MemoryLimitSource.CgroupV2), new MemoryLimitResolver(CgroupWithMax("1000"), () => 0, () => 10_000).Resolve());
        Assert.Equal(new MemoryLimit(10_000, MemoryLimitSource.PhysicalMemory), new MemoryLimitResolver(CgroupWithMax("max"), () => 0, () => 10_000).Resolve());
        Assert.Equal(new MemoryLimit(10_000, MemoryLimitSource.PhysicalMemory), new MemoryLimitResolver(null, () => 0, () => 10_000).Resolve());
    }

    [Fact]
    public void Resolve_CgroupLimitChangedAtRunTime_IsFollowed()
    {
        CgroupMemory cgroup = CgroupWithMax("4000");
        var resolver = new MemoryLimitResolver(cgroup, () => 0, () => 10_000);
        Assert.Equal(4000, resolver.Resolve().Bytes);

        File.WriteAllText(Path.Combine(_root, "memory.max"), "2000");

        Assert.Equal(2000, resolver.Resolve().Bytes);
    }

    [Fact]
    public void ForThisProcess_WithoutHeapLimit_ResolvesToCgroupOrPhysicalMemory()
    {
        Assert.SkipWhen(GC.GetConfigurationVariables().TryGetValue("GCHeapHardLimit", out object? v) && Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) > 0,
            "this test process runs with a GC heap hard limit");

        MemoryLimit limit = MemoryLimitResolver.ForThisProcess(CgroupMemory.Detect()).Resolve();

        Assert.Contains(limit.Source, new[] { MemoryLimitSource.CgroupV1, MemoryLimitSource.CgroupV2, MemoryLimitSource.PhysicalMemory });
        Assert.InRange(limit.Bytes, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }
}
