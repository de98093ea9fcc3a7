using Reclaim.Groups;

namespace Reclaim.Caching;

/// <summary>Settings of a <see cref="ShrinkableCache{TKey, TValue}"/>, read once when the cache is made.</summary>
/// <typeparam name="TKey">The cache's keys.</typeparam>
/// <typeparam name="TValue">The cache's values.</typeparam>
public sealed class ShrinkableCacheOptions<TKey, TValue>
    where TKey : notnull
{
    /// <summary>The name of the cache's shrinker, as diagnostics and <c>dotnet-reclaim</c> show it (<c>name-id</c>).</summary>
    /// <value>The default value is <c>ShrinkableCache&lt;TKey,TValue&gt;</c> with the type arguments' names, such as <c>ShrinkableCache&lt;String,Byte[]&gt;</c>.</value>
    public string Name { get; set; } = $"ShrinkableCache<{typeof(TKey).Name},{typeof(TValue).Name}>";

    /// <summary>The registry the cache's shrinker is registered with, and whose groups its entries are charged to.</summary>
    /// <value>The default value is <see cref="ShrinkerRegistry.Default"/>.</value>
    public ShrinkerRegistry Registry { get; set; } = ShrinkerRegistry.Default;

    /// <summary>
    /// The memory group entries belong to unless an operation names another: their bytes are charged to it, and passes
    /// over it reclaim them. Must belong to <see cref="Registry"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the registry's <see cref="ShrinkerRegistry.Root"/>.</value>
    public MemoryGroup? Group { get; set; }

    /// <summary>
    /// The cost of re-creating an entry (the shrinker's <see cref="Shrinker.Seeks"/>): higher means reclaim asks this cache
    /// for fewer entries than a cache of the same size with a lower cost; 0 means free to re-create.
    /// </summary>
    /// <value>The default value is <see cref="Shrinker.DefaultSeeks"/> (2).</value>
    public int Seeks { get; set; } = Shrinker.DefaultSeeks;

    /// <summary>
    /// The bytes an entry holds, charged to its group while it is cached and uncharged when it leaves. Called once per
    /// value stored, before it is published, outside every lock; it must not return a negative number.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: entries are not charged (reclaim still counts and frees them by number).</value>
    public Func<TKey, TValue, long>? Weigher { get; set; }

    /// <summary>
    /// Called once for every entry that leaves the cache, with the reason, on the thread that removed it and outside
    /// every lock of the cache. For <see cref="CacheEvictionReason.Reclaimed"/> that thread is running reclaim: keep it
    /// short. It may use the cache (a charge made from it does not start another reclaim). If it throws, the entry is
    /// gone all the same and the exception reaches the caller of the removing operation (for reclaim: the pass, which
    /// counts it as a callback error) after the other entries of that operation were handled.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nobody is told.</value>
    public Action<TKey, TValue, CacheEvictionReason>? OnEvicted { get; set; }

    /// <summary>
    /// Which misses of <see cref="ShrinkableCache{TKey, TValue}.GetOrAdd(TKey, Func{TKey, TValue})"/> cache the value they
    /// made (<see cref="CacheAdmission"/>): by default every one until reclaim takes entries from the cache, then only
    /// keys that missed recently before, until memory is no longer short.
    /// </summary>
    /// <value>The default value is <see cref="CacheAdmission.SecondMissUnderReclaim"/>.</value>
    public CacheAdmission Admission { get; set; } = CacheAdmission.SecondMissUnderReclaim;

    /// <summary>How keys are compared.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="EqualityComparer{T}.Default"/>.</value>
    public IEqualityComparer<TKey>? Comparer { get; set; }
}
