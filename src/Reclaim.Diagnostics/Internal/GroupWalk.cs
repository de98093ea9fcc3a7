using Reclaim.Groups;

namespace Reclaim.Diagnostics.Internal;

/// <summary>The online groups of a subtree in pre-order (a parent before its children), without recursion.</summary>
internal static class GroupWalk
{
    public static IEnumerable<MemoryGroup> PreOrder(MemoryGroup root)
    {
        var pending = new Stack<MemoryGroup>();
        pending.Push(root);
        while (pending.TryPop(out MemoryGroup? group))
        {
            if (!group.IsOnline)
            {
                continue;
            }

            yield return group;
            IReadOnlyList<MemoryGroup> children = group.Children;
            for (int i = children.Count - 1; i >= 0; i--)
            {
                pending.Push(children[i]);
            }
        }
    }
}
