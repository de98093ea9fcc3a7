using Reclaim.Internal;

namespace Reclaim.Tests.Groups;

public class NodeTopologyTests
{
    [Theory]
    [InlineData("0", 1)]
    [InlineData("0\n", 1)]
    [InlineData("0-3", 4)]
    [InlineData("0,2-3", 4)]
    [InlineData("0-1,4", 5)]
    public void TryParseNodeList_KernelLists_GiveHighestPlusOne(string text, int expected)
    {
        Assert.True(NodeTopology.TryParseNodeList(text, 1024, out int count));
        Assert.Equal(expected, count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("-1")]
    [InlineData("0,,1")]
    [InlineData("0-")]
    [InlineData("2000")]
    [InlineData("99999999999")]
    public void TryParseNodeList_Garbage_IsRefused(string text)
    {
        Assert.False(NodeTopology.TryParseNodeList(text, 1024, out _));
    }

    [Fact]
    public void OnlineNodeCount_ThisMachine_MatchesSysfsOrIsOne()
    {
        int expected = File.Exists(NodeTopology.OnlineNodesPath) &&
            NodeTopology.TryParseNodeList(File.ReadAllText(NodeTopology.OnlineNodesPath), 1024, out int n) ? n : 1;

        Assert.Equal(expected, NodeTopology.OnlineNodeCount);
        Assert.Equal(expected, new ShrinkerRegistryOptions().NodeCount);
    }
}
