using Reclaim.Groups;

namespace Reclaim.Tests.Groups;

public class MemoryGroupTests
{
    [Fact]
    public void Root_OfNewRegistry_IsOnlineWithIdOneAndSlashPath()
    {
        var registry = new ShrinkerRegistry();

        Assert.True(registry.Root.IsRoot);
        Assert.True(registry.Root.IsOnline);
        Assert.Equal(1, registry.Root.Id);
        Assert.Equal("/", registry.Root.Path);
        Assert.Null(registry.Root.Parent);
        Assert.Same(registry.Root, registry.FindGroup(1));
    }

    [Fact]
    public void CreateChild_Nested_GivesPathsParentsAndFreshIds()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup tenant = registry.Root.CreateChild("tenant-a");
        MemoryGroup cache = tenant.CreateChild(" cache ");

        Assert.Equal("/tenant-a", tenant.Path);
        Assert.Equal("/tenant-a/cache", cache.Path);
        Assert.Equal("cache", cache.Name);
        Assert.Same(tenant, cache.Parent);
        Assert.Equal([tenant], registry.Root.Children);
        Assert.Equal([cache], tenant.Children);
        Assert.Equal(2, tenant.Id);
        Assert.Equal(3, cache.Id);
        Assert.Same(cache, registry.FindGroup(3));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void CreateChild_EmptyName_ThrowsArgumentException(string? name)
    {
        var registry = new ShrinkerRegistry();

        var ex = Assert.Throws<ArgumentException>(() => registry.Root.CreateChild(name!));

        Assert.Equal("name", ex.ParamName);
        Assert.Contains("not empty or white space", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData(".")]
    [InlineData("..")]
    public void CreateChild_SlashOrDots_ThrowsArgumentException(string name)
    {
        var registry = new ShrinkerRegistry();

        var ex = Assert.Throws<ArgumentException>(() => registry.Root.CreateChild(name));

        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'/'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateChild_DuplicateSiblingName_ThrowsButSameNameElsewhereIsFine()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        registry.Root.CreateChild("b").CreateChild("a");

        var ex = Assert.Throws<ArgumentException>(() => registry.Root.CreateChild("a"));

        Assert.Contains("already has a child named 'a'", ex.Message, StringComparison.Ordinal);
        a.Offline();
        Assert.Equal("/a", registry.Root.CreateChild("a").Path); // an offline sibling's name may be reused
    }

    [Fact]
    public void Ids_AfterOffline_AreNeverReused()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        a.Offline();

        MemoryGroup b = registry.Root.CreateChild("b");

        Assert.Equal(3, b.Id);
        Assert.Null(registry.FindGroup(a.Id));
    }

    [Fact]
    public void Offline_Root_ThrowsInvalidOperation()
    {
        var registry = new ShrinkerRegistry();

        var ex = Assert.Throws<InvalidOperationException>(registry.Root.Offline);

        Assert.Contains("root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offline_Subtree_TakesDescendantsOfflineAndIsIdempotent()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = a.CreateChild("b");
        MemoryGroup c = b.CreateChild("c");

        a.Offline();
        a.Offline();

        Assert.False(a.IsOnline);
        Assert.False(b.IsOnline);
        Assert.False(c.IsOnline);
        Assert.Empty(registry.Root.Children);
        Assert.Throws<InvalidOperationException>(() => a.CreateChild("x"));
    }

    [Fact]
    public void WalkSubtree_WalksPreOrderAndToleratesOfflineMidWalk()
    {
        var registry = new ShrinkerRegistry();
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup a1 = a.CreateChild("a1");
        MemoryGroup a2 = a.CreateChild("a2");
        MemoryGroup b = registry.Root.CreateChild("b");

        var seen = new List<string>();
        foreach (MemoryGroup g in registry.Root.WalkSubtree())
        {
            seen.Add(g.Path);
            if (g == a1)
            {
                a1.Offline(); // the walk stands on it: it must still reach a2 and b
            }
        }

        Assert.Equal(["/", "/a", "/a/a1", "/a/a2", "/b"], seen);
        seen.Clear();
        foreach (MemoryGroup g in a.WalkSubtree())
        {
            seen.Add(g.Path);
        }

        Assert.Equal(["/a", "/a/a2"], seen); // a subtree walk stays inside; a1 is unlinked now
        _ = b;
    }

    [Fact]
    public void WalkSubtree_AfterWarmUp_AllocatesNothing()
    {
        var registry = new ShrinkerRegistry();
        for (int i = 0; i < 10; i++)
        {
            registry.Root.CreateChild($"g{i}").CreateChild("x");
        }

        int count = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (MemoryGroup g in registry.Root.WalkSubtree())
        {
            count++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(21, count);
    }
}
