using System.Collections.Concurrent;
using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

/// <summary>ShrinkableCache under threads: writers, readers and reclaim passes at once.</summary>
public partial class ShrinkableCacheTests
{
    // RECLAIM_STRESS set: a run a hundred times longer, with a wait to match.
    private static readonly bool LongStress = Environment.GetEnvironmentVariable("RECLAIM_STRESS") is not null;
    private static readonly int StressIterations = LongStress ? 2_000_000 : 20_000;
    private static readonly TimeSpan StressTimeout = LongStress ? TimeSpan.FromMinutes(10) : Threaded.Timeout;

    /// <summary>A value unique to one write, so eviction reports can be checked for duplicates.</summary>
    private sealed record Box(long Id, int Size);

    [Fact]
    public async Task Operations_ConcurrentWithPasses_CountsListsAndChargesAgreeAtTheEnd()
    {
        const int Workers = 4;
        const int Keys = 512;
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        MemoryGroup a = registry.Root.CreateChild("a");
        MemoryGroup b = registry.Root.CreateChild("b");
        a.High = 200_000; // charges into a reclaim concurrently with the explicit passes
        var evicted = new ConcurrentDictionary<Box, CacheEvictionReason>();
        var duplicates = new ConcurrentQueue<Box>();
        var cache = new ShrinkableCache<int, Box>(new()
        {
            Registry = registry,
            Group = a,
            Weigher = static (_, v) => v.Size,
            OnEvicted = (_, v, r) =>
            {
                if (!evicted.TryAdd(v, r))
                {
                    duplicates.Enqueue(v);
                }
            },
        });
        long nextId = 0;
        int done = 0;
        long passes = 0;

        await Threaded.Within(Threaded.RunTogether(Workers + 1, worker =>
        {
            var random = new Random(worker);
            if (worker == Workers)
            {
                while (Volatile.Read(ref done) < Workers)
                {
                    MemoryGroup target = random.Next(3) switch { 0 => a, 1 => b, _ => registry.Root };
                    registry.ShrinkSlab(0, target, random.Next(ShrinkerRegistry.DefaultPriority + 1));
                    passes++;
                }

                return;
            }

            for (int i = 0; i < StressIterations; i++)
            {
                int key = random.Next(Keys);
                MemoryGroup group = random.Next(2) == 0 ? a : b;
                Box NewBox() => new(Interlocked.Increment(ref nextId), 100 + random.Next(1_000));
                switch (random.Next(10))
                {
                    case < 4:
                        cache.TryGetValue(key, out _);
                        break;
                    case < 6:
                        cache.GetOrAdd(key, static (_, box) => box, NewBox(), group);
                        break;
                    case < 8:
                        cache.Set(key, NewBox(), group);
                        break;
                    default:
                        cache.TryRemove(key);
                        break;
                }
            }

            Interlocked.Increment(ref done);
        }), "workers and reclaim passes", StressTimeout);

        Assert.True(passes > 0);
        Assert.Null(cache.CheckInvariants());
        Assert.Equal(cache.Count, cache.MappedCount);
        Assert.Equal(cache.Count, cache.ListedCount);
        long sizes = cache.SumOfSizes();
        Assert.Equal(sizes, cache.GetStatistics().Bytes);
        Assert.Equal(sizes, registry.Root.Usage);
        Assert.Equal(sizes, a.Usage + b.Usage);
        Assert.True(cache.GetStatistics().EvictedByReclaim > 0, "no entry was reclaimed: the test did not race reclaim");

        cache.Dispose();

        Assert.Empty(duplicates);
        Assert.Equal((0L, 0L, 0L), (a.Usage, b.Usage, registry.Root.Usage));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Dispose_RacingWriters_LeavesNothingChargedOrListed()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        MemoryGroup group = registry.Root.CreateChild("g");
        int reports = 0;
        var cache = new ShrinkableCache<int, string>(new()
        {
            Registry = registry,
            Group = group,
            Weigher = static (_, v) => v.Length,
            OnEvicted = (_, _, _) => Interlocked.Increment(ref reports),
        });
        long stored = 0;

        await Threaded.Within(Threaded.RunTogether(4, worker =>
        {
            if (worker == 3)
            {
                Thread.Sleep(5);
                cache.Dispose();
                return;
            }

            try
            {
                for (int i = 0; ; i++)
                {
                    if (cache.Set((worker * 1_000_000) + i, "value"))
                    {
                        Interlocked.Increment(ref stored);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
            }
        }), "writers racing Dispose");

        Assert.Equal((0, 0L, 0L), (cache.Count, group.Usage, cache.ListedCount));
        Assert.Equal(0, cache.MappedCount);
        Assert.Equal(stored, reports); // every value stored was reported exactly once, most as Disposed
    }
}
