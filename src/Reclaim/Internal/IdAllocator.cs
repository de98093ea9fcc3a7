using System.Numerics;

namespace Reclaim.Internal;

/// <summary>
/// Hands out the lowest free non-negative id and takes ids back, like the kernel's IDA. Not thread-safe: callers hold
/// the registry's writer gate.
/// </summary>
internal sealed class IdAllocator
{
    private ulong[] _used = new ulong[1];

    // Every word below this one is full: the search for the lowest free id starts here (O(1) for a growing registry).
    private int _firstNotFull;

    /// <summary>One past the highest id ever handed out and still held, or 0.</summary>
    public int Limit { get; private set; }

    public int Allocate()
    {
        for (int word = _firstNotFull; word < _used.Length; word++)
        {
            _firstNotFull = word;
            ulong free = ~_used[word];
            if (free != 0)
            {
                int bit = BitOperations.TrailingZeroCount(free);
                _used[word] |= 1UL << bit;
                int id = (word * 64) + bit;
                Limit = Math.Max(Limit, id + 1);
                return id;
            }
        }

        int next = _used.Length * 64;
        _firstNotFull = _used.Length;
        Array.Resize(ref _used, _used.Length * 2);
        _used[next / 64] = 1;
        Limit = Math.Max(Limit, next + 1);
        return next;
    }

    public void Release(int id)
    {
        ulong mask = 1UL << (id % 64);
        if ((uint)id >= (uint)(_used.Length * 64) || (_used[id / 64] & mask) == 0)
        {
            throw new InvalidOperationException($"Id {id} is not allocated.");
        }

        _used[id / 64] &= ~mask;
        _firstNotFull = Math.Min(_firstNotFull, id / 64);
        while (Limit > 0 && (_used[(Limit - 1) / 64] & (1UL << ((Limit - 1) % 64))) == 0)
        {
            Limit--;
        }
    }

    public bool IsAllocated(int id) =>
        (uint)id < (uint)(_used.Length * 64) && (_used[id / 64] & (1UL << (id % 64))) != 0;
}
