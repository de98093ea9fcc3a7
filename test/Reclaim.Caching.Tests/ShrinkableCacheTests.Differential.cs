namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache against a plain Dictionary doing the same operations, with reclaim interleaved.</summary>
public partial class ShrinkableCacheTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(20_240_601)]
    public void RandomOperations_AgainstDictionaryModel_CacheHoldsExactlyTheModelLessWhatReclaimTook(int seed)
    {
        const int Keys = 64;
        int steps = Environment.GetEnvironmentVariable("RECLAIM_STRESS") is null ? 20_000 : 1_000_000;
        var random = new Random(seed);
        var model = new Dictionary<int, string>();
        long reclaimedReports = 0;
        using var kit = Kit(o =>
        {
            o.Weigher = static (_, v) => v.Length * 100L;

            // Reclaim may drop any entry at any time; it must say so, with the value the model holds.
            o.OnEvicted = (k, v, reason) =>
            {
                if (reason == CacheEvictionReason.Reclaimed)
                {
                    Assert.True(model.Remove(k, out string? expected), $"reclaim reported key {k}, which the model does not hold");
                    Assert.Same(expected, v);
                    reclaimedReports++;
                }
            };
        });
        kit.Group.Max = 100_000; // about 40 of the 64 keys fit: charges reclaim often, and a few values never fit

        string NewValue() => random.Next(50) == 0
            ? new string('H', 1_001) // 100,100 bytes: above Max, always refused
            : new string((char)('a' + random.Next(26)), 1 + random.Next(50));

        for (int step = 0; step < steps; step++)
        {
            int key = random.Next(Keys);
            int op = random.Next(100);
            if (op < 30)
            {
                bool found = kit.Cache.TryGetValue(key, out string? value);
                Assert.Equal(model.TryGetValue(key, out string? expected), found);
                Assert.Same(expected, value);
            }
            else if (op < 50)
            {
                string fresh = NewValue();
                bool called = false;
                bool had = model.TryGetValue(key, out string? existing);
                ShrinkableCacheStatistics before = kit.Cache.GetStatistics();
                string result = op < 40
                    ? kit.Cache.GetOrAdd(key, _ => { called = true; return fresh; })
                    : kit.Cache.GetOrAdd(key, (_, f) => { called = true; return f; }, fresh);
                Assert.Equal(!had, called);
                Assert.Same(had ? existing : fresh, result);
                ShrinkableCacheStatistics after = kit.Cache.GetStatistics();

                // Cached unless the group refused the charge or admission turned the value away (a first miss after reclaim).
                if (!had && after.Rejected == before.Rejected && after.NotAdmitted == before.NotAdmitted)
                {
                    model[key] = fresh;
                }
            }
            else if (op < 75)
            {
                string fresh = NewValue();
                if (kit.Cache.Set(key, fresh))
                {
                    model[key] = fresh;
                }
                else
                {
                    model.Remove(key);
                }
            }
            else if (op < 85)
            {
                bool removed = kit.Cache.TryRemove(key, out string? value);
                Assert.Equal(model.Remove(key, out string? expected), removed);
                Assert.Same(expected, value);
            }
            else if (op < 86)
            {
                kit.Cache.Clear();
                model.Clear();
            }
            else if (op < 93)
            {
                kit.Registry.ShrinkSlab(0, kit.Group, random.Next(ShrinkerRegistry.DefaultPriority + 1));
            }
            else
            {
                kit.Scan(1 + random.Next(100), out _);
            }

            // The whole state, every step: the same keys with the same values, and the books balanced.
            for (int k = 0; k < Keys; k++)
            {
                bool cached = kit.Cache.TryPeek(k, out string? value);
                Assert.True(cached == model.TryGetValue(k, out string? expected), $"step {step}: key {k} cached={cached}, in model={!cached}");
                Assert.Same(expected, value);
            }

            Assert.Equal(model.Count, kit.Cache.Count);
            Assert.Equal(model.Values.Sum(v => v.Length * 100L), kit.Group.Usage);
            kit.AssertConsistent();
        }

        ShrinkableCacheStatistics stats = kit.Cache.GetStatistics();
        Assert.Equal(reclaimedReports, stats.EvictedByReclaim);
        Assert.True(stats.EvictedByReclaim > 100, $"only {stats.EvictedByReclaim} entries were reclaimed: the test did not exercise reclaim");
        Assert.True(stats.Rejected > 10, $"only {stats.Rejected} charges were refused: the test did not exercise refusal");
        Assert.True(stats.NotAdmitted > 10, $"only {stats.NotAdmitted} misses were not admitted: the test did not exercise admission");
    }
}
