namespace Reclaim.Tests;

/// <summary>The README's quick start, kept compiling and true.</summary>
public class QuickStartTests
{
    [Fact]
    public void ReadmeQuickStart_DictionaryCache_ShrinksAndFrees()
    {
        var registry = new ShrinkerRegistry();
        var cache = Enumerable.Range(0, 10_000).ToDictionary(i => i, _ => new byte[16]);
        var gate = new object();

        Shrinker shrinker = registry.Alloc("my-cache");
        shrinker.Seeks = Shrinker.DefaultSeeks;
        shrinker.CountObjects = (Shrinker s, ref ShrinkControl sc) =>
        {
            lock (gate) { return cache.Count > 0 ? cache.Count : Shrinker.Empty; }
        };
        shrinker.ScanObjects = (Shrinker s, ref ShrinkControl sc) =>
        {
            if (!Monitor.TryEnter(gate)) { return Shrinker.Stop; }
            try
            {
                long freed = 0;
                foreach (int key in cache.Keys.Take((int)sc.NrToScan).ToList()) { cache.Remove(key); freed++; }
                return freed;
            }
            finally { Monitor.Exit(gate); }
        };
        shrinker.Register();

        long gentle = registry.ShrinkSlab(node: 0, group: null, priority: ShrinkerRegistry.DefaultPriority);
        Assert.Equal(0, gentle); // 10,000 >> 12 = 2, times 4 / 2 = 4: below one batch, deferred instead
        Assert.Equal(4, shrinker.GetDeferred(0));

        long hardest = registry.ShrinkSlab(node: 0, group: null, priority: 0);
        Assert.Equal(10_000, hardest); // asked for min(4 + 20,000, 20,000): the whole cache
        Assert.Empty(cache);

        registry.DropCaches(TestContext.Current.CancellationToken);
        shrinker.Free();
        Assert.Equal(ShrinkerState.Freed, shrinker.State);
    }
}
