using System.Diagnostics.CodeAnalysis;
using Reclaim.Groups;

namespace Reclaim.Caching;

// Lookups: TryGetValue and GetOrAdd. A hit takes no lock and writes nothing shared but a striped counter and, when
// clear, the entry's referenced bit.
public sealed partial class ShrinkableCache<TKey, TValue>
{
    /// <summary>Looks <paramref name="key"/> up; a hit marks the entry used, so the next reclaim pass passes it over once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The cached value, or the default when there is none.</param>
    /// <returns>Whether a value was cached for <paramref name="key"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        ThrowIfDisposed();
        if (TryGetLive(key, out Entry? entry))
        {
            entry.Touch();
            RecordHit();
            value = entry.Value;
            return true;
        }

        RecordMiss();
        value = default;
        return false;
    }

    /// <summary>
    /// Returns the value cached for <paramref name="key"/>, or makes one with <paramref name="valueFactory"/> and caches
    /// it in the cache's <see cref="Group"/>.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="valueFactory">Makes the value on a miss, outside every lock. Threads missing the same key at once may each call it; one value is cached and every caller gets that one.</param>
    /// <returns>
    /// The cached value; or the new value, uncached, when <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/> did
    /// not admit it or the group refused its charge.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="valueFactory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> valueFactory) => GetOrAdd(key, valueFactory, Group);

    /// <summary>
    /// Returns the value cached for <paramref name="key"/>, or makes one with <paramref name="valueFactory"/> and caches
    /// it in <paramref name="group"/>.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="valueFactory">Makes the value on a miss, outside every lock. Threads missing the same key at once may each call it; one value is cached and every caller gets that one.</param>
    /// <param name="group">The group a new entry is charged to and reclaimed with; an existing entry keeps its own.</param>
    /// <returns>
    /// The cached value; or the new value, uncached, when <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/> did
    /// not admit it or the group refused its charge.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/>, <paramref name="valueFactory"/> or <paramref name="group"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry than the cache.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> valueFactory, MemoryGroup group)
    {
        ArgumentNullException.ThrowIfNull(valueFactory);
        return GetOrAdd(key, static (k, factory) => factory(k), valueFactory, group);
    }

    /// <summary>
    /// Returns the value cached for <paramref name="key"/>, or makes one with <paramref name="valueFactory"/> and
    /// <paramref name="factoryArgument"/> (so the factory needs no closure) and caches it in the cache's <see cref="Group"/>.
    /// </summary>
    /// <typeparam name="TArg">The factory's argument.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="valueFactory">Makes the value on a miss, outside every lock. Threads missing the same key at once may each call it; one value is cached and every caller gets that one.</param>
    /// <param name="factoryArgument">Passed to <paramref name="valueFactory"/>.</param>
    /// <returns>
    /// The cached value; or the new value, uncached, when <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/> did
    /// not admit it or the group refused its charge.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="valueFactory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public TValue GetOrAdd<TArg>(TKey key, Func<TKey, TArg, TValue> valueFactory, TArg factoryArgument) =>
        GetOrAdd(key, valueFactory, factoryArgument, Group);

    /// <summary>
    /// Returns the value cached for <paramref name="key"/>, or makes one with <paramref name="valueFactory"/> and
    /// <paramref name="factoryArgument"/> and caches it in <paramref name="group"/>.
    /// </summary>
    /// <typeparam name="TArg">The factory's argument.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="valueFactory">Makes the value on a miss, outside every lock. Threads missing the same key at once may each call it; one value is cached and every caller gets that one.</param>
    /// <param name="factoryArgument">Passed to <paramref name="valueFactory"/>.</param>
    /// <param name="group">The group a new entry is charged to and reclaimed with; an existing entry keeps its own.</param>
    /// <returns>
    /// The cached value; or the new value, uncached, when <see cref="ShrinkableCacheOptions{TKey, TValue}.Admission"/> did
    /// not admit it or the group refused its charge.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/>, <paramref name="valueFactory"/> or <paramref name="group"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry than the cache.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public TValue GetOrAdd<TArg>(TKey key, Func<TKey, TArg, TValue> valueFactory, TArg factoryArgument, MemoryGroup group)
    {
        ArgumentNullException.ThrowIfNull(valueFactory);
        ValidateGroup(group);
        ThrowIfDisposed();
        if (TryGetLive(key, out Entry? entry))
        {
            entry.Touch();
            RecordHit();
            return entry.Value;
        }

        RecordMiss();
        TValue value = valueFactory(key, factoryArgument);
        return Admit(key) ? AddIfAbsent(key, value, group) : value;
    }

    /// <summary>Looks <paramref name="key"/> up without marking the entry used or counting a hit (for tests and diagnostics).</summary>
    internal bool TryPeek(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        bool found = TryGetLive(key, out Entry? entry);
        value = found ? entry!.Value : default;
        return found;
    }

    /// <summary>The live entry mapped to <paramref name="key"/>. A retired entry still mapped (reclaim retires, then unmaps) counts as absent.</summary>
    private bool TryGetLive(TKey key, [NotNullWhen(true)] out Entry? entry) =>
        _map.TryGetValue(key, out entry) && entry.IsLive;
}
