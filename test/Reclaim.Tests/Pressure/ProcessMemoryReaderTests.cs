using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure;

/// <summary>The readings of this very process that sampling takes.</summary>
public class ProcessMemoryReaderTests
{
    [Fact]
    public void ReadWorkingSet_AgreesWithTheRuntimeAndAllocatesNothing()
    {
        using ProcessMemoryReader reader = ProcessMemoryReader.Create();
        reader.ReadWorkingSet(); // opens the file

        long before = GC.GetAllocatedBytesForCurrentThread();
        long ours = reader.ReadWorkingSet();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long runtime = Environment.WorkingSet;

        Assert.InRange(ours, runtime / 2, runtime * 2);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void ReadManagedHeapAndCgroup_AllocateNothing()
    {
        using ProcessMemoryReader reader = ProcessMemoryReader.Create();
        reader.ReadCgroupUsage();

        long before = GC.GetAllocatedBytesForCurrentThread();
        long heap = reader.ReadManagedHeap();
        long cgroup = reader.ReadCgroupUsage();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(heap > 0);
        Assert.True(cgroup is -1 or > 0);
        Assert.Equal(0, allocated);
    }
}
