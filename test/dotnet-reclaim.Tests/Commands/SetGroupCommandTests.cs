using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;
using Reclaim.Tool.Commands;

namespace Reclaim.Tool.Tests.Commands;

public sealed class SetGroupCommandTests
{
    private const long Mib = 1L << 20;

    [Fact]
    public void Steps_BothRaised_MaxFirst()
    {
        var current = new GroupInfo { Id = 2, High = 64 * Mib, Max = 128 * Mib };

        var steps = SetGroupCommand.Steps(current, high: 256 * Mib, max: 512 * Mib);

        Assert.Equal([(GroupLimitKind.Max, 512 * Mib), (GroupLimitKind.High, 256 * Mib)], steps);
    }

    [Fact]
    public void Steps_MaxBelowTheCurrentHigh_HighFirst()
    {
        var current = new GroupInfo { Id = 2, High = 64 * Mib, Max = 128 * Mib };

        var steps = SetGroupCommand.Steps(current, high: 8 * Mib, max: 16 * Mib);

        Assert.Equal([(GroupLimitKind.High, 8 * Mib), (GroupLimitKind.Max, 16 * Mib)], steps);
    }

    [Fact]
    public void Steps_NoHighSet_MaxFirst()
    {
        var current = new GroupInfo { Id = 2, High = MemoryGroup.Unlimited, Max = MemoryGroup.Unlimited };

        var steps = SetGroupCommand.Steps(current, high: 8 * Mib, max: 16 * Mib);

        Assert.Equal([(GroupLimitKind.Max, 16 * Mib), (GroupLimitKind.High, 8 * Mib)], steps);
    }

    [Fact]
    public void Steps_OneLimit_OneStep()
    {
        var current = new GroupInfo { Id = 2, High = MemoryGroup.Unlimited, Max = MemoryGroup.Unlimited };

        Assert.Equal([(GroupLimitKind.High, 8 * Mib)], SetGroupCommand.Steps(current, high: 8 * Mib, max: null));
        Assert.Equal([(GroupLimitKind.Max, MemoryGroup.Unlimited)], SetGroupCommand.Steps(current, high: null, max: MemoryGroup.Unlimited));
    }
}
