namespace Reclaim.Internal;

/// <summary>
/// Arithmetic for object counts that cannot wrap. The kernel's counts are unsigned longs; ours are signed, so a
/// shrinker reporting an absurd count must saturate instead of turning negative and corrupting deferred work.
/// </summary>
internal static class Saturating
{
    public static long Add(long a, long b)
    {
        long sum = unchecked(a + b);

        // Overflow happened iff a and b have the same sign and the sum's sign differs.
        if (((a ^ sum) & (b ^ sum)) < 0)
        {
            return a < 0 ? long.MinValue : long.MaxValue;
        }

        return sum;
    }

    public static long Double(long a) => a > long.MaxValue / 2 ? long.MaxValue : a * 2;

    public static long Times4(long a) => a > long.MaxValue / 4 ? long.MaxValue : a * 4;

    public static long NonNegative(long a) => a < 0 ? 0 : a;

    /// <summary>Atomically adds a non-negative <paramref name="value"/>, stopping at <see cref="long.MaxValue"/>.</summary>
    public static void InterlockedAdd(ref long location, long value)
    {
        long current = Volatile.Read(ref location);
        while (true)
        {
            long next = Add(current, value);
            long seen = Interlocked.CompareExchange(ref location, next, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
