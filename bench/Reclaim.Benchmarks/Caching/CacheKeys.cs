namespace Reclaim.Benchmarks.Caching;

/// <summary>How the read benchmarks pick keys.</summary>
public enum KeyDistribution
{
    /// <summary>Every key equally likely: most lookups miss the CPU caches (100,000 entries are several MB).</summary>
    Uniform,

    /// <summary>Zipf with s = 0.99 (YCSB's skew): a few keys take most lookups and stay in the CPU caches.</summary>
    Zipf,
}

/// <summary>Precomputed key sequences, seeded, so every cache sees the same lookups.</summary>
internal static class CacheKeys
{
    /// <summary>The Zipf exponent: YCSB's default.</summary>
    public const double ZipfSkew = 0.99;

    /// <summary>
    /// <paramref name="length"/> keys from 0 to <paramref name="keyCount"/> - 1. Zipf ranks are mapped to keys through a
    /// random permutation, so the hot keys are not neighbours in the hash tables.
    /// </summary>
    public static int[] Make(KeyDistribution distribution, int keyCount, int length, int seed)
    {
        var random = new Random(seed);
        var keys = new int[length];
        if (distribution == KeyDistribution.Uniform)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = random.Next(keyCount);
            }

            return keys;
        }

        // Cumulative weights of ranks 1..n, weight 1 / rank^s; sample by binary search.
        var cumulative = new double[keyCount];
        double sum = 0;
        for (int rank = 0; rank < keyCount; rank++)
        {
            sum += 1.0 / Math.Pow(rank + 1, ZipfSkew);
            cumulative[rank] = sum;
        }

        int[] keyOfRank = Enumerable.Range(0, keyCount).ToArray();
        random.Shuffle(keyOfRank);
        for (int i = 0; i < keys.Length; i++)
        {
            int rank = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            rank = rank < 0 ? ~rank : rank;
            keys[i] = keyOfRank[Math.Min(rank, keyCount - 1)];
        }

        return keys;
    }
}
