using Reclaim.Groups;

namespace Reclaim.Caching.Tests;

public class ShrinkableArrayPoolTests
{
    private static (ShrinkerRegistry Registry, MemoryGroup Group, ShrinkableArrayPool<byte> Pool) Make(Action<ShrinkableArrayPoolOptions>? configure = null)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        MemoryGroup group = registry.Root.CreateChild("pool");
        var options = new ShrinkableArrayPoolOptions { Registry = registry, Group = group };
        configure?.Invoke(options);
        return (registry, group, new ShrinkableArrayPool<byte>(options));
    }

    private static long Scan(ShrinkableArrayPool<byte> pool, MemoryGroup group, long nrToScan)
    {
        var control = new ShrinkControl(0, group, nrToScan);
        return pool.Shrinker.ScanObjects!(pool.Shrinker, ref control);
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(1000, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    public void Rent_RoundsUpToPowerOfTwo(int asked, int expected)
    {
        var (_, _, pool) = Make();
        using (pool)
        {
            Assert.Equal(expected, pool.Rent(asked).Length);
        }
    }

    [Fact]
    public void Rent_BeyondLargestBucket_AllocatesExactAndReturnIsDropped()
    {
        var (_, group, pool) = Make(o => o.MaxArrayLength = 1024);
        using (pool)
        {
            byte[] big = pool.Rent(5000);
            Assert.Equal(5000, big.Length);
            pool.Return(big);
            Assert.Equal(0, pool.PooledArrays);
            Assert.Equal(0, group.Usage);
        }
    }

    [Fact]
    public void ReturnThenRent_GivesNewestBackAndMovesCharge()
    {
        var (_, group, pool) = Make();
        using (pool)
        {
            byte[] a = pool.Rent(100);
            byte[] b = pool.Rent(100);
            pool.Return(a);
            pool.Return(b);
            Assert.Equal(2, pool.PooledArrays);
            Assert.Equal(256, group.Usage);
            Assert.Equal(256, pool.PooledBytes);

            Assert.Same(b, pool.Rent(128));

            Assert.Equal(1, pool.PooledArrays);
            Assert.Equal(128, group.Usage);
        }
    }

    [Fact]
    public void Scan_TakesColdestFirstAcrossLengths()
    {
        var (_, group, pool) = Make();
        using (pool)
        {
            byte[] oldBig = new byte[4096];
            byte[] midSmall = new byte[64];
            byte[] newBig = new byte[4096];
            pool.Return(oldBig);
            pool.Return(midSmall);
            pool.Return(newBig);

            Assert.Equal(1, Scan(pool, group, 1));
            Assert.Equal(4096 + 64, group.Usage); // the oldest (a 4 KiB array) went first
            Assert.Equal(1, Scan(pool, group, 1));
            Assert.Equal(4096, group.Usage);     // then the 64-byte one, older than the newest 4 KiB
            Assert.Same(newBig, pool.Rent(4096));
        }
    }

    [Fact]
    public void Count_OtherGroup_IsEmpty_OwnGroupCountsIdleArrays()
    {
        var (registry, group, pool) = Make();
        using (pool)
        {
            pool.Return(new byte[32]);
            var own = new ShrinkControl(0, group, 0);
            var root = new ShrinkControl(0, registry.Root, 0);

            Assert.Equal(1, pool.Shrinker.CountObjects!(pool.Shrinker, ref own));
            Assert.Equal(Shrinker.Empty, pool.Shrinker.CountObjects!(pool.Shrinker, ref root));
            Assert.Equal(1, registry.ShrinkSlab(0, group, 0)); // the first return marked the group: its pass finds the pool
        }
    }

    [Fact]
    public void Return_GroupOverHigh_ReclaimsColdArraysToStayUnder()
    {
        var (_, group, pool) = Make();
        using (pool)
        {
            group.High = 64 * 1024;
            for (int i = 0; i < 200; i++)
            {
                pool.Return(new byte[1024]); // bucket capacity 64: the rest would be dropped anyway
            }

            Assert.True(group.Usage <= 64 * 1024, $"usage {group.Usage}");
            Assert.True(pool.PooledArrays > 0);
            Assert.Equal(group.Usage, pool.PooledBytes);
        }
    }

    [Fact]
    public void Return_RefusedByMax_DropsTheArray()
    {
        var (_, group, pool) = Make();
        using (pool)
        {
            group.Max = 100;

            pool.Return(new byte[128]);

            Assert.Equal(0, pool.PooledArrays);
            Assert.Equal(0, group.Usage);
        }
    }

    [Fact]
    public void Return_BucketFull_DropsAndUncharges()
    {
        var (_, group, pool) = Make(o => o.MaxArraysPerBucket = 2);
        using (pool)
        {
            for (int i = 0; i < 5; i++)
            {
                pool.Return(new byte[16]);
            }

            Assert.Equal(2, pool.PooledArrays);
            Assert.Equal(32, group.Usage);
        }
    }

    [Fact]
    public void Return_ReferenceArrays_AreClearedSoIdleArraysHoldNothing()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        using var pool = new ShrinkableArrayPool<object>(new ShrinkableArrayPoolOptions { Registry = registry });
        object[] array = pool.Rent(16);
        array[3] = new object();

        pool.Return(array);

        Assert.Null(array[3]);
    }

    [Fact]
    public void Dispose_UnchargesEverythingAndFreesShrinker()
    {
        var (registry, group, pool) = Make();
        pool.Return(new byte[1024]);
        pool.Return(new byte[64]);

        pool.Dispose();
        pool.Dispose();

        Assert.Equal(0, group.Usage);
        Assert.Equal(0, pool.PooledArrays);
        Assert.Equal(ShrinkerState.Freed, pool.Shrinker.State);
        Assert.Equal(0, registry.RegisteredCount);
        pool.Return(new byte[64]); // after disposal: dropped, not charged
        Assert.Equal(0, group.Usage);
    }

    [Fact]
    public void DropCaches_EmptiesThePool()
    {
        var (registry, group, pool) = Make();
        using (pool)
        {
            for (int i = 0; i < 50; i++)
            {
                pool.Return(new byte[256]);
            }

            registry.DropCaches(TestContext.Current.CancellationToken);

            Assert.Equal(0, pool.PooledArrays);
            Assert.Equal(0, group.Usage);
        }
    }

    [Fact]
    public void RentReturn_AfterWarmUp_AllocateNothing()
    {
        var (_, _, pool) = Make();
        using (pool)
        {
            pool.Return(pool.Rent(1000));
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                pool.Return(pool.Rent(1000));
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Theory]
    [InlineData("MaxArrayLength", 1000)]
    [InlineData("MaxArrayLength", 8)]
    [InlineData("MaxArraysPerBucket", 0)]
    [InlineData("Seeks", -1)]
    public void Constructor_BadOption_ThrowsNamingIt(string option, int value)
    {
        var options = new ShrinkableArrayPoolOptions { Registry = new ShrinkerRegistry() };
        typeof(ShrinkableArrayPoolOptions).GetProperty(option)!.SetValue(options, value);

        var ex = Assert.Throws<ArgumentException>(() => new ShrinkableArrayPool<byte>(options));

        Assert.Contains($"ShrinkableArrayPoolOptions.{option}", ex.Message, StringComparison.Ordinal);
        Assert.Equal("options", ex.ParamName);
    }
}
