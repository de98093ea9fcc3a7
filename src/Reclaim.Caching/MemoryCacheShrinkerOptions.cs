namespace Reclaim.Caching;

/// <summary>Settings of a <see cref="MemoryCacheShrinker"/>, read once when it is made.</summary>
public sealed class MemoryCacheShrinkerOptions
{
    /// <summary>The default of <see cref="Batch"/>: eight times the kernel's batch, because every scan call walks and sorts the whole cache.</summary>
    public const int DefaultBatch = 1024;

    /// <summary>The shrinker's name, as diagnostics and <c>dotnet-reclaim</c> show it (<c>name-id</c>).</summary>
    /// <value>The default value is <c>MemoryCache</c>.</value>
    public string Name { get; set; } = "MemoryCache";

    /// <summary>The registry the shrinker is registered with.</summary>
    /// <value>The default value is <see cref="ShrinkerRegistry.Default"/>.</value>
    public ShrinkerRegistry Registry { get; set; } = ShrinkerRegistry.Default;

    /// <summary>The cost of re-creating an entry (the shrinker's <see cref="Shrinker.Seeks"/>).</summary>
    /// <value>The default value is <see cref="Shrinker.DefaultSeeks"/> (2).</value>
    public int Seeks { get; set; } = Shrinker.DefaultSeeks;

    /// <summary>
    /// The least work a pass hands the cache (the shrinker's <see cref="Shrinker.Batch"/>): smaller requests are carried
    /// forward as deferred work until a batch is due (or the whole cache is asked for). Whatever the batch, a pass makes
    /// one <c>Compact</c> call for all the work it has for the cache (<see cref="ShrinkControl.TotalScan"/>), because each
    /// call walks and sorts the whole cache whatever it removes; the batch only keeps passes from paying that walk for a
    /// handful of entries. <see cref="ShrinkableCache{TKey, TValue}"/> has no such cost: it frees O(1) per entry.
    /// </summary>
    /// <value>The default value is <see cref="DefaultBatch"/> (1,024).</value>
    public int Batch { get; set; } = DefaultBatch;
}
