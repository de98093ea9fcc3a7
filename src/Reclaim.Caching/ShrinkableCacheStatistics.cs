using System.Runtime.InteropServices;

namespace Reclaim.Caching;

/// <summary>A snapshot of a <see cref="ShrinkableCache{TKey, TValue}"/>'s statistics (<see cref="ShrinkableCache{TKey, TValue}.GetStatistics"/>).</summary>
/// <param name="Hits">Lookups that found a live entry (<c>TryGetValue</c>, and <c>GetOrAdd</c> that did not add).</param>
/// <param name="Misses">Lookups that found none (a <c>GetOrAdd</c> miss then calls its factory).</param>
/// <param name="Entries">Live entries, as <see cref="ShrinkableCache{TKey, TValue}.Count"/>.</param>
/// <param name="Bytes">The weigher's bytes of the live entries: what the cache holds charged to its groups.</param>
/// <param name="EvictedByReclaim">Entries the cache's shrinker gave back to reclaim.</param>
/// <param name="Rejected">
/// Values not cached because their group refused the charge (<see cref="Groups.MemoryGroup.Max"/>, even after reclaim).
/// </param>
/// <param name="NotAdmitted">
/// Misses whose value was returned but not cached, because <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/>
/// did not admit it (its key had not missed recently before).
/// </param>
/// <remarks>
/// Each counter is exact on its own; a snapshot taken while other threads work may mix counters from just before and
/// just after a concurrent operation.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ShrinkableCacheStatistics(
    long Hits,
    long Misses,
    long Entries,
    long Bytes,
    long EvictedByReclaim,
    long Rejected,
    long NotAdmitted);
