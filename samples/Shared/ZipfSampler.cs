namespace Reclaim.Samples;

/// <summary>
/// Draws keys 0 .. n - 1 approximately Zipf(s)-distributed (key k about as likely as (k + 1)^-s), by inverting the
/// continuous approximation of the CDF: the density x^-s on [1, n + 1) integrates to
/// F(x) = (x^(1-s) - 1) / ((n + 1)^(1-s) - 1), so x = (1 + u ((n + 1)^(1-s) - 1))^(1 / (1-s)) for a uniform u.
/// O(1) per draw, nothing precomputed but two constants. Not thread-safe: one per worker (it holds the worker's random).
/// </summary>
internal sealed class ZipfSampler
{
    private readonly Random _random;
    private readonly long _n;
    private readonly double _span;
    private readonly double _inverseExponent;

    public ZipfSampler(long n, double s, int seed)
    {
        if (n < 1 || s <= 0 || s == 1)
        {
            throw new ArgumentOutOfRangeException(nameof(s), "n must be positive and s positive and not 1.");
        }

        _n = n;
#pragma warning disable CA5394 // A seeded pseudo-random generator is what a reproducible workload wants.
        _random = new Random(seed);
#pragma warning restore CA5394
        double exponent = 1 - s;
        _span = Math.Pow(n + 1, exponent) - 1;
        _inverseExponent = 1 / exponent;
    }

    /// <summary>The worker's random generator, for value sizes.</summary>
    public Random Random => _random;

    /// <summary>The next key.</summary>
    public long Next()
    {
#pragma warning disable CA5394 // See the constructor.
        double u = _random.NextDouble();
#pragma warning restore CA5394
        long key = (long)Math.Pow(1 + (u * _span), _inverseExponent) - 1;
        return Math.Clamp(key, 0, _n - 1);
    }
}
