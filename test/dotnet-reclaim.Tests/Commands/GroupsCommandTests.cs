using System.Text.RegularExpressions;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;
using Reclaim.Tool.Commands;
using Spectre.Console.Testing;

namespace Reclaim.Tool.Tests.Commands;

public sealed class GroupsCommandTests
{
    [Fact]
    public void Render_NestedTree_DrawsTheBranchesAsTreeDoes()
    {
        GroupInfo[] groups =
        [
            Group(1, null, "/", 0),
            Group(2, 1, "/a", 1),
            Group(3, 2, "/a/x", 2),
            Group(4, 2, "/a/y", 2),
            Group(5, 1, "/b", 1),
            Group(6, 5, "/b/z", 2),
        ];
        using var console = new TestConsole();
        console.Width(100);

        console.Write(GroupsCommand.Render(groups));

        string[] names = [.. console.Lines
            .Select(l => Regex.Match(l, @"^ {2}(?<name>.*?\S)\s+\d+\s+0 B\s"))
            .Where(m => m.Success)
            .Select(m => m.Groups["name"].Value)];
        Assert.Equal(["/", "├─ a", "│  ├─ x", "│  └─ y", "└─ b", "   └─ z"], names);
    }

    private static GroupInfo Group(long id, long? parent, string path, int depth) =>
        new() { Id = id, Parent = parent, Path = path, Depth = depth, High = MemoryGroup.Unlimited, Max = MemoryGroup.Unlimited };
}
