using Microsoft.Extensions.Caching.Memory;
using Reclaim.Caching.Internal;

namespace Reclaim.Caching;

/// <summary>
/// Makes a <see cref="MemoryCache"/> (Microsoft.Extensions.Caching.Memory) reclaimable: registers a shrinker whose count
/// is the cache's entry count and whose scan compacts the cache by the share a pass asks for.
/// </summary>
/// <remarks>
/// <para>
/// What it costs: a scan is one <see cref="MemoryCache.Compact(double)"/>, which walks every entry, sorts the
/// candidates and allocates lists as large as the cache: O(n log n) time and O(n) garbage, on the thread running
/// reclaim, which it blocks meanwhile, whatever share is asked. So the scan takes the pass's whole share for this cache
/// at once (<see cref="ShrinkControl.TotalScan"/>) rather than a batch at a time: one <c>Compact</c> per pass, where
/// batches would cost one each. The count is <see cref="MemoryCache.Count"/>, which briefly takes every lock of the
/// cache's dictionary. For a cache built to be reclaimed (O(1) per entry freed, nothing allocated) use
/// <see cref="ShrinkableCache{TKey, TValue}"/>.
/// </para>
/// <para>
/// Which entries go is <see cref="MemoryCache"/>'s decision, by its own rules, not Reclaim's second chance: expired
/// entries first, then by <see cref="CacheItemPriority"/> (<see cref="CacheItemPriority.Low"/>, then
/// <see cref="CacheItemPriority.Normal"/>, then <see cref="CacheItemPriority.High"/>; never
/// <see cref="CacheItemPriority.NeverRemove"/>), least recently accessed first within a priority. The cache's eviction
/// callbacks run as <see cref="MemoryCache"/> runs them (on the thread pool). Entries are counted, not weighed: nothing
/// is charged to a memory group, and the shrinker is not group-aware.
/// </para>
/// <para>
/// The cache stays the caller's: disposing this shrinker does not dispose it. Dispose the shrinker before the cache.
/// </para>
/// <para>Thread safety: the cache may be used from any thread while passes run; <see cref="Dispose"/> may be called from any thread.</para>
/// </remarks>
public sealed class MemoryCacheShrinker : IDisposable
{
    private readonly MemoryCache _cache;

    /// <summary>Registers a shrinker for <paramref name="cache"/> with the default options (the default registry).</summary>
    /// <param name="cache">The cache to make reclaimable.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/> is <see langword="null"/>.</exception>
    public MemoryCacheShrinker(MemoryCache cache)
        : this(cache, new MemoryCacheShrinkerOptions())
    {
    }

    /// <summary>Registers a shrinker for <paramref name="cache"/>.</summary>
    /// <param name="cache">The cache to make reclaimable.</param>
    /// <param name="options">The settings; they are read once, here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// An option is invalid: <see cref="MemoryCacheShrinkerOptions.Name"/> is empty or white space,
    /// <see cref="MemoryCacheShrinkerOptions.Registry"/> is <see langword="null"/>, or
    /// <see cref="MemoryCacheShrinkerOptions.Seeks"/> or <see cref="MemoryCacheShrinkerOptions.Batch"/> is negative
    /// (<see cref="ArgumentOutOfRangeException"/>).
    /// </exception>
    public MemoryCacheShrinker(MemoryCache cache, MemoryCacheShrinkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        const string Options = nameof(MemoryCacheShrinkerOptions);
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            Throw.Argument(nameof(options), $"{Options}.{nameof(options.Name)} must not be empty or white space: it names the shrinker in diagnostics.");
        }

        if (options.Registry is null)
        {
            Throw.Argument(nameof(options), $"{Options}.{nameof(options.Registry)} must not be null; leave it unset for ShrinkerRegistry.Default.");
        }

        if (options.Seeks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Seeks,
                $"{Options}.{nameof(options.Seeks)} must be 0 or more (the cost of re-creating an entry; {Shrinker.DefaultSeeks} is typical).");
        }

        if (options.Batch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Batch,
                $"{Options}.{nameof(options.Batch)} must be 0 or more (0 means Shrinker.DefaultBatch).");
        }

        _cache = cache;
        Shrinker = options.Registry.Alloc(options.Name);
        Shrinker.Seeks = options.Seeks;
        Shrinker.Batch = options.Batch;
        Shrinker.PrivateData = cache;
        Shrinker.CountObjects = CountObjects;
        Shrinker.ScanObjects = ScanObjects;
        Shrinker.Register();
    }

    /// <summary>The registered shrinker (not group-aware); its statistics say how often reclaim asked and how much went.</summary>
    public Shrinker Shrinker { get; }

    /// <summary>Frees the shrinker, waiting for a compaction in flight. The cache is left as it is. Calling it again does nothing.</summary>
    /// <exception cref="InvalidOperationException">Called from inside the shrinker's own scan (from an eviction callback that runs synchronously).</exception>
    public void Dispose() => Shrinker.Free();

    /// <summary>The count: the cache's entries, or <see cref="Shrinker.Empty"/>.</summary>
    private long CountObjects(Shrinker shrinker, ref ShrinkControl control)
    {
        int count = _cache.Count;
        return count > 0 ? count : Shrinker.Empty;
    }

    /// <summary>
    /// The scan: compacts the cache once by the share the pass's whole work for it (<see cref="ShrinkControl.TotalScan"/>)
    /// is of its entries, reports that work as scanned, and returns how many entries went (fewer than asked when only
    /// entries it will not remove are left, or entries were added meanwhile).
    /// </summary>
    private long ScanObjects(Shrinker shrinker, ref ShrinkControl control)
    {
        int before = _cache.Count;
        if (before == 0)
        {
            control.NrScanned = 0; // nothing to look at: ends this shrinker's scan for the pass
            return 0;
        }

        // Compact removes (int)(Count * percentage) entries. Half an entry more than asked keeps the product from
        // rounding down to one fewer (0.0128 * 10,000 is 127.99999999999999 in binary floating point).
        long asked = Math.Max(control.NrToScan, control.TotalScan);
        double percentage = Math.Min(1.0, (asked + 0.5) / before);
        _cache.Compact(percentage);
        control.NrScanned = asked;
        return Math.Max(0, before - _cache.Count);
    }
}
