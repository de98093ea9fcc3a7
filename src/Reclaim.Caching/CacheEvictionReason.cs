namespace Reclaim.Caching;

/// <summary>Why an entry left a <see cref="ShrinkableCache{TKey, TValue}"/>, as given to <see cref="ShrinkableCacheOptions{TKey, TValue}.OnEvicted"/>.</summary>
public enum CacheEvictionReason
{
    /// <summary>Removed by <see cref="ShrinkableCache{TKey, TValue}.TryRemove(TKey)"/> or its overload.</summary>
    Removed,

    /// <summary>
    /// Replaced by <see cref="ShrinkableCache{TKey, TValue}.Set(TKey, TValue)"/> with a new value, or dropped because the
    /// new value's charge was refused (the old value must not be served after the set).
    /// </summary>
    Replaced,

    /// <summary>Given back to reclaim by the cache's shrinker: it was the coldest, and not used since the last pass looked at it.</summary>
    Reclaimed,

    /// <summary>Removed by <see cref="ShrinkableCache{TKey, TValue}.Clear"/>.</summary>
    Cleared,

    /// <summary>Removed by <see cref="ShrinkableCache{TKey, TValue}.Dispose"/>.</summary>
    Disposed,
}
