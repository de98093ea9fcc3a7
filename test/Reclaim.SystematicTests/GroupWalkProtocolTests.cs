using Microsoft.Coyote.Specifications;
using Reclaim.Groups;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The lock-free subtree walk (<c>mem_cgroup_iter</c> over the groups' RCU sibling lists of nodes): a walk carries the
/// node it stands on, so when groups are taken offline under it (each dropping its node, whose next and parent links
/// stay) it still goes on to the live groups. Every group online throughout the walk is visited exactly once, nothing
/// is visited twice or out of pre-order, and a subtree walk never leaves its subtree.
/// </summary>
public class GroupWalkProtocolTests
{
    private const uint Iterations = 1_000;

    [Fact]
    public void WalkSubtree_WhileSubtreesGoOfflineAndGroupsAreCreated_VisitsEveryStableGroupOnceInPreOrder()
    {
        // Tree: / -> a -> (a1 -> a1x, a2), b -> (b1, b2), c. While one walk runs: a's whole subtree goes offline (a walk
        // standing on a1x or a must climb out of removed nodes to b), b1 goes offline (a walk on b1 must go on to b2) and
        // b gets a new child b3 (may or may not be visited). /, b, b2 and c are online throughout.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup root = registry.Root;
            MemoryGroup a = root.CreateChild("a");
            MemoryGroup a1 = a.CreateChild("a1");
            MemoryGroup a1x = a1.CreateChild("a1x");
            MemoryGroup a2 = a.CreateChild("a2");
            MemoryGroup b = root.CreateChild("b");
            MemoryGroup b1 = b.CreateChild("b1");
            MemoryGroup b2 = b.CreateChild("b2");
            MemoryGroup c = root.CreateChild("c");
            MemoryGroup? b3 = null;

            var seen = new List<MemoryGroup>();
            Task walk = Task.Run(() => Walk(root, seen));
            Task offlineA = Task.Run(a.Offline);
            Task offlineB1 = Task.Run(b1.Offline);
            Task create = Task.Run(() => b3 = b.CreateChild("b3"));
            await Tasks.All(walk, offlineA, offlineB1, create);

            AssertVisits(seen, [root, a, a1, a1x, a2, b, b1, b2, b3!, c], stable: [root, b, b2, c]);
            Specification.Assert(
                root.Children.SequenceEqual([b, c]) && b.Children.SequenceEqual([b2, b3!]),
                $"After the walk the tree is / -> [{string.Join(", ", root.Children)}], /b -> [{string.Join(", ", b.Children)}].");
        }, Iterations);
    }

    [Fact]
    public void WalkSubtree_WhileItsOwnGroupsGoOffline_StaysInsideAndVisitsTheRestOnce()
    {
        // A walk of a's subtree (a -> a1 -> a1x, a2, a3) while a1's subtree and a3 go offline: a, a2 are online throughout
        // and visited once; the walk never reaches a's next sibling b, even from a removed node whose next link leads there.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup a = registry.Root.CreateChild("a");
            MemoryGroup a1 = a.CreateChild("a1");
            MemoryGroup a1x = a1.CreateChild("a1x");
            MemoryGroup a2 = a.CreateChild("a2");
            MemoryGroup a3 = a.CreateChild("a3");
            MemoryGroup b = registry.Root.CreateChild("b");

            var seen = new List<MemoryGroup>();
            Task walk = Task.Run(() => Walk(a, seen));
            Task offlineA1 = Task.Run(a1.Offline);
            Task offlineA3 = Task.Run(a3.Offline);
            await Tasks.All(walk, offlineA1, offlineA3);

            AssertVisits(seen, [a, a1, a1x, a2, a3], stable: [a, a2]);
            Specification.Assert(!seen.Contains(b), "A walk of /a's subtree visited /b.");
        }, Iterations);
    }

    [Fact]
    public void WalkSubtree_WhileTheSubtreeItselfGoesOffline_EndsInsideIt()
    {
        // A walk of a's subtree while a (and so all of it) goes offline: it must end, visit a first, and never leave it
        // for a's siblings, though a's removed node links on to b.
        CoyoteTest.Run(async () =>
        {
            var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
            MemoryGroup a = registry.Root.CreateChild("a");
            MemoryGroup a1 = a.CreateChild("a1");
            MemoryGroup a1x = a1.CreateChild("a1x");
            MemoryGroup a2 = a.CreateChild("a2");
            MemoryGroup b = registry.Root.CreateChild("b");

            var seen = new List<MemoryGroup>();
            Task walk = Task.Run(() => Walk(a, seen));
            Task offline = Task.Run(a.Offline);
            await Tasks.All(walk, offline);

            AssertVisits(seen, [a, a1, a1x, a2], stable: [a]);
            Specification.Assert(!seen.Contains(b), "A walk of /a's subtree visited /b.");
            Specification.Assert(registry.Root.Children.SequenceEqual([b]), "After /a went offline the root's children are not [/b].");
        }, Iterations);
    }

    private static void Walk(MemoryGroup subtree, List<MemoryGroup> seen)
    {
        foreach (MemoryGroup group in subtree.WalkSubtree())
        {
            seen.Add(group);
        }
    }

    /// <summary>
    /// The visits are a subsequence of <paramref name="preOrder"/> (so in pre-order, none twice, none outside it) that
    /// holds every group in <paramref name="stable"/>.
    /// </summary>
    private static void AssertVisits(List<MemoryGroup> seen, MemoryGroup[] preOrder, MemoryGroup[] stable)
    {
        string visited = string.Join(", ", seen);
        int at = 0;
        foreach (MemoryGroup group in seen)
        {
            while (at < preOrder.Length && !ReferenceEquals(preOrder[at], group))
            {
                at++;
            }

            Specification.Assert(at < preOrder.Length, $"The walk visited [{visited}]: '{group}' twice, out of pre-order or outside the subtree.");
            at++;
        }

        foreach (MemoryGroup group in stable)
        {
            Specification.Assert(seen.Contains(group), $"The walk visited [{visited}] and missed '{group}', online throughout.");
        }
    }
}
