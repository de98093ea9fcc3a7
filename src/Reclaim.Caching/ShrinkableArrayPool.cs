using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using Reclaim.Groups;

namespace Reclaim.Caching;

/// <summary>
/// An <see cref="ArrayPool{T}"/> whose idle arrays are reclaimable: returned arrays wait in the pool, their bytes
/// charged to a <see cref="MemoryGroup"/>, and the pool's shrinker gives the coldest back (those returned longest ago)
/// when reclaim asks. Unlike <see cref="ArrayPool{T}.Shared"/>, which trims itself on its own schedule, it follows
/// the process's (or its group's) memory pressure.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// <para>
/// Arrays come in power-of-two lengths from 16 to <see cref="ShrinkableArrayPoolOptions.MaxArrayLength"/>; each length
/// keeps up to <see cref="ShrinkableArrayPoolOptions.MaxArraysPerBucket"/> idle arrays in a ring (newest rented
/// first, oldest reclaimed first). Larger requests are allocated and dropped, as <see cref="ArrayPool{T}.Shared"/> does.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Each length has a short lock; no lock is held while a
/// charge (which may reclaim) runs. Renting and returning allocate nothing once the pool holds arrays of that length.
/// </para>
/// </remarks>
public sealed class ShrinkableArrayPool<T> : ArrayPool<T>, IDisposable
{
    private const int MinLength = 16;
    private readonly Bucket[] _buckets;
    private readonly MemoryGroup _group;
    private readonly int _elementSize = Unsafe.SizeOf<T>();
    private long _pooled;
    private int _disposed;

    /// <summary>Makes a pool with <paramref name="options"/>.</summary>
    /// <param name="options">The settings; read once, here. <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public ShrinkableArrayPool(ShrinkableArrayPoolOptions? options = null)
    {
        options ??= new ShrinkableArrayPoolOptions();
        options.Validate();
        ShrinkerRegistry registry = options.Registry ?? ShrinkerRegistry.Default;
        _group = options.Group ?? registry.Root;
        if (!ReferenceEquals(_group.Registry, registry))
        {
            throw new ArgumentException($"ShrinkableArrayPoolOptions.Group '{_group.Path}' belongs to another registry than ShrinkableArrayPoolOptions.Registry.", nameof(options));
        }

        int buckets = BitOperations.Log2((uint)options.MaxArrayLength) - BitOperations.Log2(MinLength) + 1;
        _buckets = new Bucket[buckets];
        for (int i = 0; i < buckets; i++)
        {
            _buckets[i] = new Bucket(MinLength << i, options.MaxArraysPerBucket);
        }

        Shrinker = registry.Alloc(options.Name, ShrinkerFlags.GroupAware);
        Shrinker.Seeks = options.Seeks;
        Shrinker.PrivateData = this;
        Shrinker.CountObjects = static (Shrinker s, ref ShrinkControl sc) => ((ShrinkableArrayPool<T>)s.PrivateData!).Count(sc.Group);
        Shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl sc) => ((ShrinkableArrayPool<T>)s.PrivateData!).Scan(sc.Group, sc.NrToScan);
        Shrinker.Register();
    }

    /// <summary>The pool's shrinker (group-aware: it counts in the pool's group only).</summary>
    public Shrinker Shrinker { get; }

    /// <summary>Idle arrays in the pool now.</summary>
    public long PooledArrays => Volatile.Read(ref _pooled);

    /// <summary>Bytes of the idle arrays, as charged to the group.</summary>
    public long PooledBytes
    {
        get
        {
            long bytes = 0;
            foreach (Bucket bucket in _buckets)
            {
                bytes += bucket.Count * (long)bucket.Length * _elementSize;
            }

            return bytes;
        }
    }

    /// <summary>Gets an array of at least <paramref name="minimumLength"/> elements: an idle one when the pool has one, else a new one.</summary>
    /// <param name="minimumLength">The least length wanted.</param>
    /// <returns>An array whose length is the next power of two at or above <paramref name="minimumLength"/> (at least 16), or exactly <paramref name="minimumLength"/> beyond the largest bucket.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative.</exception>
    public override T[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0)
        {
            return [];
        }

        int index = BucketIndex(minimumLength);
        if (index >= _buckets.Length)
        {
            return GC.AllocateUninitializedArray<T>(minimumLength);
        }

        Bucket bucket = _buckets[index];
        T[]? array = bucket.TakeNewest();
        if (array is not null)
        {
            Interlocked.Decrement(ref _pooled);
            _group.Uncharge(BytesOf(bucket));
            return array;
        }

        return GC.AllocateUninitializedArray<T>(bucket.Length);
    }

    /// <summary>Gives an array back. It waits in the pool (charged to the group) until rented again or reclaimed.</summary>
    /// <param name="array">An array from <see cref="Rent(int)"/>; others of a bucket's exact length are accepted too, the rest dropped.</param>
    /// <param name="clearArray">Whether to clear it first (do so when it held references or secrets).</param>
    /// <exception cref="ArgumentNullException"><paramref name="array"/> is <see langword="null"/>.</exception>
    public override void Return(T[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length < MinLength || !BitOperations.IsPow2(array.Length) || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        int index = BucketIndex(array.Length);
        if (index >= _buckets.Length)
        {
            return;
        }

        if (clearArray || RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            // Arrays of references are always cleared: an idle array must not keep objects alive.
            Array.Clear(array);
        }

        Bucket bucket = _buckets[index];
        long bytes = BytesOf(bucket);

        // Charge first (it may reclaim, this pool included: no bucket lock is held), then publish.
        if (!_group.TryCharge(bytes))
        {
            return;
        }

        if (!bucket.Put(array))
        {
            _group.Uncharge(bytes);
            return;
        }

        if (Interlocked.Increment(ref _pooled) == 1)
        {
            Shrinker.MarkHasObjects(_group);
        }
    }

    /// <summary>Frees the shrinker (waiting for a scan in flight), drops every idle array and uncharges it. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Shrinker.Free();
        foreach (Bucket bucket in _buckets)
        {
            while (bucket.TakeOldest(out _) is not null)
            {
                Interlocked.Decrement(ref _pooled);
                _group.Uncharge(BytesOf(bucket));
            }
        }
    }

    private static int BucketIndex(int length) =>
        Math.Max(0, BitOperations.Log2((uint)length - 1) + 1 - BitOperations.Log2(MinLength));

    private long BytesOf(Bucket bucket) => (long)bucket.Length * _elementSize;

    private long Count(MemoryGroup? group)
    {
        if (!ReferenceEquals(group, _group))
        {
            return Shrinker.Empty;
        }

        long pooled = Volatile.Read(ref _pooled);
        return pooled > 0 ? pooled : Shrinker.Empty;
    }

    /// <summary>Drops up to <paramref name="count"/> of the coldest idle arrays, across lengths: oldest return first.</summary>
    private long Scan(MemoryGroup? group, long count)
    {
        if (!ReferenceEquals(group, _group))
        {
            return 0;
        }

        long freed = 0;
        while (freed < count)
        {
            // The bucket whose oldest array was returned longest ago. A snapshot: a concurrent rent may empty it first,
            // then TakeOldest finds nothing and we look again.
            Bucket? coldest = null;
            long oldest = long.MaxValue;
            foreach (Bucket bucket in _buckets)
            {
                long stamp = bucket.OldestStamp;
                if (stamp < oldest)
                {
                    oldest = stamp;
                    coldest = bucket;
                }
            }

            if (coldest is null)
            {
                break;
            }

            if (coldest.TakeOldest(out _) is not null)
            {
                Interlocked.Decrement(ref _pooled);
                _group.Uncharge(BytesOf(coldest));
                freed++;
            }
        }

        return freed;
    }

    /// <summary>Idle arrays of one length: a ring, newest at the head (rented first), oldest at the tail (reclaimed first).</summary>
    private sealed class Bucket(int length, int capacity)
    {
        private static long s_clock;
        private readonly T[]?[] _arrays = new T[]?[capacity];
        private readonly long[] _stamps = new long[capacity];
        private readonly object _gate = new();
        private int _oldest;
        private int _count;

        public int Length { get; } = length;

        public int Count => Volatile.Read(ref _count);

        /// <summary>When the oldest idle array came back (a global sequence), or <see cref="long.MaxValue"/> when empty.</summary>
        public long OldestStamp
        {
            get
            {
                lock (_gate)
                {
                    return _count == 0 ? long.MaxValue : _stamps[_oldest];
                }
            }
        }

        public bool Put(T[] array)
        {
            long stamp = Interlocked.Increment(ref s_clock);
            lock (_gate)
            {
                if (_count == _arrays.Length)
                {
                    return false;
                }

                int slot = (_oldest + _count) % _arrays.Length;
                _arrays[slot] = array;
                _stamps[slot] = stamp;
                Volatile.Write(ref _count, _count + 1);
                return true;
            }
        }

        public T[]? TakeNewest()
        {
            lock (_gate)
            {
                if (_count == 0)
                {
                    return null;
                }

                int slot = (_oldest + _count - 1) % _arrays.Length;
                T[]? array = _arrays[slot];
                _arrays[slot] = null;
                Volatile.Write(ref _count, _count - 1);
                return array;
            }
        }

        public T[]? TakeOldest(out long stamp)
        {
            lock (_gate)
            {
                stamp = 0;
                if (_count == 0)
                {
                    return null;
                }

                T[]? array = _arrays[_oldest];
                stamp = _stamps[_oldest];
                _arrays[_oldest] = null;
                _oldest = (_oldest + 1) % _arrays.Length;
                Volatile.Write(ref _count, _count - 1);
                return array;
            }
        }
    }
}
