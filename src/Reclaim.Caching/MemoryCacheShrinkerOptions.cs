namespace Reclaim.Caching;

/// <summary>Settings of a <see cref="MemoryCacheShrinker"/>, read once when it is made.</summary>
public sealed class MemoryCacheShrinkerOptions
{
    /// <summary>The default of <see cref="Batch"/>: eight times the kernel's batch, because every scan call sorts the whole cache.</summary>
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
    /// How many entries each scan call asks <c>Compact</c> for (the shrinker's <see cref="Shrinker.Batch"/>). Each call
    /// costs a walk and a sort of the whole cache whatever it removes, so fewer, larger calls cost less; passes gather
    /// smaller requests as deferred work until a batch is due (or the whole cache is asked for). A pass that asks for
    /// k entries costs about k / Batch whole-cache sorts: measured with 1,000,000 entries and the default, one pass that
    /// asked for 100,000 made 97 <c>Compact</c> calls, took 15 s and allocated 3.3 GB (bench/README.md). Raise it for
    /// large caches, or use <see cref="ShrinkableCache{TKey, TValue}"/>, which frees 100,000 of 1,000,000 in about 10 ms.
    /// </summary>
    /// <value>The default value is <see cref="DefaultBatch"/> (1,024).</value>
    public int Batch { get; set; } = DefaultBatch;
}
