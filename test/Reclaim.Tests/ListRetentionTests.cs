using System.Runtime.CompilerServices;
using Reclaim.Groups;

namespace Reclaim.Tests;

/// <summary>
/// The registry's RCU lists must not keep removed items alive: a freed shrinker (or an offline group) that its owner
/// still holds must not keep the shrinkers freed (groups taken offline) after it reachable through a stale list link.
/// A soak run found 1001 of 1001 freed shrinkers alive because each removed item kept its next link.
/// </summary>
public class ListRetentionTests
{
    private const int Count = 200;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Free_OwnerKeepsFreedShrinkers_OtherFreedShrinkersAreCollected(bool keepEveryOther)
    {
        var registry = new ShrinkerRegistry();
        _ = TestShrinkers.Counter(registry, "survivor-before", 1, out _);
        (List<Shrinker> kept, List<WeakReference> dropped) = RegisterAndFree(registry, keepEveryOther);
        _ = TestShrinkers.Counter(registry, "survivor-after", 1, out _);

        FullCollect();

        int alive = dropped.Count(w => w.IsAlive);
        Assert.True(alive == 0, $"{alive} of {dropped.Count} freed shrinkers that nothing references are still alive.");
        Assert.All(kept, s => Assert.Equal(ShrinkerState.Freed, s.State));
        Assert.Equal(2, registry.GetShrinkers().Length);
        registry.ShrinkSlab(0, null, 0);
        registry.AssertInvariants();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Offline_OwnerKeepsOfflineGroups_OtherOfflineGroupsAreCollected(bool keepEveryOther)
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup parent = registry.Root.CreateChild("parent");
        MemoryGroup before = parent.CreateChild("before");
        (List<MemoryGroup> kept, List<WeakReference> dropped) = CreateAndOffline(parent, keepEveryOther);
        MemoryGroup after = parent.CreateChild("after");

        FullCollect();

        int alive = dropped.Count(w => w.IsAlive);
        Assert.True(alive == 0, $"{alive} of {dropped.Count} offline groups that nothing references are still alive.");
        Assert.All(kept, g => Assert.False(g.IsOnline));
        Assert.Equal([before, after], parent.Children);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (List<Shrinker> Kept, List<WeakReference> Dropped) RegisterAndFree(ShrinkerRegistry registry, bool keepEveryOther)
    {
        var shrinkers = new List<Shrinker>();
        for (int i = 0; i < Count; i++)
        {
            shrinkers.Add(TestShrinkers.Counter(registry, $"freed-{i}", 1, out _));
        }

        // Freed in registration order: each one's stale next link pointed at the next one to be freed.
        foreach (Shrinker shrinker in shrinkers)
        {
            shrinker.Free();
        }

        return Split(shrinkers, keepEveryOther);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (List<MemoryGroup> Kept, List<WeakReference> Dropped) CreateAndOffline(MemoryGroup parent, bool keepEveryOther)
    {
        var groups = new List<MemoryGroup>();
        for (int i = 0; i < Count; i++)
        {
            MemoryGroup group = parent.CreateChild($"offline-{i}");
            _ = group.CreateChild("grandchild");
            groups.Add(group);
        }

        foreach (MemoryGroup group in groups)
        {
            group.Offline();
        }

        return Split(groups, keepEveryOther);
    }

    /// <summary>Keeps the first item (or every other one) strongly and the rest only weakly.</summary>
    private static (List<T> Kept, List<WeakReference> Dropped) Split<T>(List<T> items, bool keepEveryOther)
        where T : class
    {
        var kept = new List<T>();
        var dropped = new List<WeakReference>();
        for (int i = 0; i < items.Count; i++)
        {
            if (i == 0 || (keepEveryOther && i % 2 == 0))
            {
                kept.Add(items[i]);
            }
            else
            {
                dropped.Add(new WeakReference(items[i]));
            }
        }

        return (kept, dropped);
    }

    private static void FullCollect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
