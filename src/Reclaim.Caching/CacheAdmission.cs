namespace Reclaim.Caching;

/// <summary>
/// Which values a <see cref="ShrinkableCache{TKey, TValue}"/> caches after a miss in
/// <see cref="ShrinkableCache{TKey, TValue}.GetOrAdd(TKey, Func{TKey, TValue})"/> and its overloads
/// (<see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/>). <see cref="ShrinkableCache{TKey, TValue}.Set(TKey, TValue)"/>
/// always caches: it is an explicit write.
/// </summary>
/// <remarks>
/// A cache that reclaim keeps at a size it cannot exceed loses an old entry for every new one. Under a skewed load most
/// misses are keys that will not be asked for again before they are reclaimed; caching them pushes out entries that
/// would have been hit, and every one of them lives through a collection or two (the GC copies and promotes it) before
/// reclaim takes it. A doorkeeper filters them out: it remembers, in a table of 32-bit hash codes (about one slot per
/// cached entry, 4 bytes each, at most 16 MiB, made on the first filtered miss), the last key that missed in each slot,
/// and admits a key when it misses again while still remembered, that is before about as many other keys have missed
/// as the cache holds. Frequently used keys get in at their second miss or soon after; keys used once never enter.
/// </remarks>
public enum CacheAdmission
{
    /// <summary>
    /// The default: every miss is cached while reclaim leaves the cache alone; once reclaim has taken entries from it, a
    /// miss is cached only when its key missed recently before (the doorkeeper), until the entries taken in since make up
    /// half the cache (it has doubled, if nothing else left) without reclaim taking any: memory is no longer short, and
    /// every miss is cached again.
    /// </summary>
    SecondMissUnderReclaim,

    /// <summary>Every miss is cached, as in a cache without admission control.</summary>
    Always,

    /// <summary>A miss is cached only when its key missed recently before (the doorkeeper), whether or not reclaim runs.</summary>
    SecondMiss,
}
