using System.Collections.Concurrent;
using Reclaim.Caching.Internal;
using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.Caching;

/// <summary>
/// A concurrent cache that gives its coldest entries back when memory is short: it registers its own group-aware
/// shrinker, keeps its entries on a <see cref="ListLru{T}"/> with a referenced bit (second chance, so entries used
/// since the last pass looked at them survive it), and charges each entry's bytes to its <see cref="MemoryGroup"/>.
/// No size needs configuring: reclaim (a group's <see cref="MemoryGroup.High"/>, or the process's reclaimer) decides
/// how much the cache may keep.
/// </summary>
/// <typeparam name="TKey">The keys.</typeparam>
/// <typeparam name="TValue">The values. The cache never disposes them; use <see cref="ShrinkableCacheOptions{TKey, TValue}.OnEvicted"/> for that.</typeparam>
/// <remarks>
/// <para>
/// Thread safety: every member may be called from any thread, concurrently with reclaim passes over the cache's
/// shrinker. Reads take no lock and write nothing shared but a striped hit counter and, when clear, the entry's
/// referenced bit. No lock of the cache is held while a value factory, the weigher, a charge (which may reclaim,
/// this very cache included) or <see cref="ShrinkableCacheOptions{TKey, TValue}.OnEvicted"/> runs.
/// </para>
/// <para>
/// Entries: a stored value is an immutable entry; <see cref="Set(TKey, TValue)"/> publishes a new one. An entry's state
/// goes from live to retired exactly once, by compare-and-swap: the one path that wins (remove, replace, clear,
/// reclaim, dispose) unlists it, uncharges its bytes and reports it; every other path backs off. A retired entry may
/// still be in the dictionary for a moment (reclaim retires first, then unmaps); lookups treat it as absent and adders
/// may take its place.
/// </para>
/// <para>
/// Charging: a new entry's bytes are charged to its group with <see cref="MemoryGroup.TryCharge(long)"/> before it is
/// published. When the group refuses (its <see cref="MemoryGroup.Max"/>, even after reclaim), the value is not cached:
/// <see cref="GetOrAdd(TKey, Func{TKey, TValue})"/> still returns it, <see cref="Set(TKey, TValue)"/> returns
/// <see langword="false"/>, and <see cref="ShrinkableCacheStatistics.Rejected"/> counts it. Every byte charged is
/// uncharged exactly once, when the entry leaves by whatever path.
/// </para>
/// <para>
/// Admission: once reclaim has taken entries from the cache, a miss in <see cref="GetOrAdd(TKey, Func{TKey, TValue})"/>
/// caches its value only when the same key missed recently before (<see cref="CacheAdmission"/>), so keys used once do not
/// push out the entries that are hit; <see cref="ShrinkableCacheStatistics.NotAdmitted"/> counts the values returned
/// uncached. <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/> chooses another policy.
/// </para>
/// <para>
/// Lifetime: the registry holds the cache's shrinker, and so the cache, until <see cref="Dispose"/>; a cache that is
/// never disposed stays registered and charged for the registry's life.
/// </para>
/// </remarks>
public sealed partial class ShrinkableCache<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _map;
    private readonly ListLru<Entry> _lru;
    private readonly ShrinkerRegistry _registry;
    private readonly Func<TKey, TValue, long>? _weigher;
    private readonly Action<TKey, TValue, CacheEvictionReason>? _onEvicted;

    // Live entries and their bytes. Raised before an entry is published and lowered by the path that retires it, so
    // neither goes below 0; at rest they equal the dictionary's live entries and the sum of their sizes.
    private int _count;
    private long _bytes;

    // 0 until Dispose; set with Interlocked.Exchange (a full fence) before Dispose drains the dictionary.
    private int _disposed;

    /// <summary>Makes a cache with the default options: the default registry, its root group, no weigher.</summary>
    public ShrinkableCache()
        : this(new ShrinkableCacheOptions<TKey, TValue>())
    {
    }

    /// <summary>Makes a cache and registers its shrinker.</summary>
    /// <param name="options">The settings; they are read once, here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// An option is invalid: <see cref="ShrinkableCacheOptions{TKey, TValue}.Name"/> is empty or white space,
    /// <see cref="ShrinkableCacheOptions{TKey, TValue}.Registry"/> is <see langword="null"/>,
    /// <see cref="ShrinkableCacheOptions{TKey, TValue}.Seeks"/> is negative (<see cref="ArgumentOutOfRangeException"/>), or
    /// <see cref="ShrinkableCacheOptions{TKey, TValue}.Group"/> belongs to another registry.
    /// </exception>
    public ShrinkableCache(ShrinkableCacheOptions<TKey, TValue> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Options = nameof(ShrinkableCacheOptions<,>);
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            Throw.Argument(nameof(options), $"{Options}.{nameof(options.Name)} must not be empty or white space: it names the cache's shrinker in diagnostics.");
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

        if (options.Group is not null && !ReferenceEquals(options.Group.Registry, options.Registry))
        {
            Throw.Argument(nameof(options), $"{Options}.{nameof(options.Group)} ('{options.Group.Path}') belongs to another registry than {Options}.{nameof(options.Registry)}.");
        }

        if (!Enum.IsDefined(options.Admission))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Admission,
                $"{Options}.{nameof(options.Admission)} must be one of {string.Join(", ", Enum.GetNames<CacheAdmission>())}.");
        }

        _registry = options.Registry;
        _admission = options.Admission;
        Group = options.Group ?? _registry.Root;
        _weigher = options.Weigher;
        _onEvicted = options.OnEvicted;
        _map = new ConcurrentDictionary<TKey, Entry>(options.Comparer);

        Shrinker shrinker = _registry.Alloc(options.Name, ShrinkerFlags.GroupAware);
        Shrinker = shrinker;
        try
        {
            shrinker.Seeks = options.Seeks;
            _lru = new ListLru<Entry>(shrinker);
            shrinker.PrivateData = this;
            shrinker.CountObjects = CountObjects;
            shrinker.ScanObjects = ScanObjects;
            shrinker.Register();
        }
        catch
        {
            shrinker.Free();
            _lru?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The cache's shrinker: group-aware, named by <see cref="ShrinkableCacheOptions{TKey, TValue}.Name"/>, registered
    /// until <see cref="Dispose"/>. Its statistics say how often reclaim asked and how much the cache gave.
    /// </summary>
    /// <remarks>Readable after <see cref="Dispose"/> (it is then freed).</remarks>
    public Shrinker Shrinker { get; }

    /// <summary>
    /// The group entries belong to unless an operation names another
    /// (<see cref="ShrinkableCacheOptions{TKey, TValue}.Group"/>, or the registry's root).
    /// </summary>
    public MemoryGroup Group { get; }

    /// <summary>
    /// Live entries, from the cache's own counter (not the dictionary's <c>Count</c>, which takes every lock of the
    /// dictionary). While other threads add or remove it is a snapshot that may run ahead of an add still publishing.
    /// </summary>
    /// <remarks>Readable after <see cref="Dispose"/> (it is then 0).</remarks>
    public int Count => Volatile.Read(ref _count);

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private void ThrowIfDisposed()
    {
        if (IsDisposed)
        {
            Throw.ObjectDisposed(this);
        }
    }

    private void ValidateGroup(MemoryGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!ReferenceEquals(group.Registry, _registry))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry than the cache's shrinker '{Shrinker}'.");
        }
    }
}
