using System.Numerics;

namespace Reclaim.Caching.Internal;

/// <summary>
/// A few counters that many threads bump at once (cache hits and misses): each counter is split into one cell per
/// processor stripe, cells 128 bytes apart, so parallel readers of a cache do not fight over one cache line. A read
/// sums the cells.
/// </summary>
/// <remarks>
/// Uncontended, every thread adds to one base cell (stripe 1) with a compare-and-swap, which costs less than asking for
/// the processor id; the first failed swap (another thread added at the same moment) switches the counter to stripes
/// for good, as BitFaster's and Java's Striped64 counters do. Increments are <see cref="Interlocked"/>: a thread that migrates between reading its processor id and adding may
/// share a cell with another thread, which costs a contended add, never a lost count. A sum read while increments run
/// is a snapshot: each cell is read once, exactly (accepted: these are statistics).
/// </remarks>
internal sealed class StripedCounter
{
    // 16 longs = 128 bytes: a cache line, and its neighbour that the adjacent-line prefetcher pulls in with it.
    private const int Stride = 16;
    private const int MaxStripes = 64;

    private readonly long[] _cells;
    private readonly int _counters;
    private readonly int _mask;

    // 0 until two threads collided on the base cell; then 1 for good (stripes from then on).
    private int _contended;

    /// <summary>Makes <paramref name="counters"/> counters (at most <see cref="Stride"/>), all 0.</summary>
    public StripedCounter(int counters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(counters);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(counters, Stride);
        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(Environment.ProcessorCount, MaxStripes));
        _counters = counters;
        _mask = stripes - 1;

        // One stripe more than needed, stripe i living at (i + 1) * Stride: the first cell is a full stride away from
        // the array's header and length, which other threads read.
        _cells = new long[(stripes + 1) * Stride];
    }

    /// <summary>Adds 1 to counter <paramref name="counter"/> in the calling processor's stripe.</summary>
    public void Increment(int counter)
    {
        if (Volatile.Read(ref _contended) == 0)
        {
            ref long cell = ref _cells[Stride + counter];
            long value = Volatile.Read(ref cell);
            if (Interlocked.CompareExchange(ref cell, value + 1, value) == value)
            {
                return;
            }

            Volatile.Write(ref _contended, 1);
        }

        int stripe = (Thread.GetCurrentProcessorId() & _mask) + 1;
        Interlocked.Increment(ref _cells[(stripe * Stride) + counter]);
    }

    /// <summary>The sum of counter <paramref name="counter"/> over every stripe.</summary>
    public long Sum(int counter)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)counter, (uint)_counters);
        long sum = 0;
        for (int i = Stride + counter; i < _cells.Length; i += Stride)
        {
            sum += Volatile.Read(ref _cells[i]);
        }

        return sum;
    }
}
