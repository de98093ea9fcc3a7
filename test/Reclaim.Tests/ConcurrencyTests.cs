using System.Collections.Concurrent;

namespace Reclaim.Tests;

/// <summary>
/// Multi-threaded stress of register / free / pass. The systematic (Coyote) tests explore the protocol's interleavings
/// step by step; these run the real thing on real threads. RECLAIM_STRESS_ITERATIONS raises the work for long runs.
/// </summary>
public class ConcurrencyTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("RECLAIM_STRESS_ITERATIONS"), out int n) && n > 0 ? n : 3_000;

    /// <summary>What each shrinker's callbacks check: no call may begin after Free returned.</summary>
    private sealed class Tracker
    {
        public volatile bool FreeReturned;
        public long Objects = 500;
    }

    [Fact]
    public async Task RegisterFreeWhilePassesRun_NoCallAfterFreeAndCountsBackToZero()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var all = new ConcurrentQueue<Shrinker>();
        int callsAfterFree = 0;
        int churnersLeft = 2;

        Shrinker Make(string name)
        {
            var tracker = new Tracker();
            Shrinker s = registry.Alloc(name, ShrinkerFlags.NodeAware);
            s.PrivateData = tracker;
            s.CountObjects = (Shrinker self, ref ShrinkControl _) =>
            {
                var t = (Tracker)self.PrivateData!;
                if (t.FreeReturned) { Interlocked.Increment(ref callsAfterFree); }
                return Interlocked.Read(ref t.Objects) is var o && o > 0 ? o : Shrinker.Empty;
            };
            s.ScanObjects = (Shrinker self, ref ShrinkControl sc) =>
            {
                var t = (Tracker)self.PrivateData!;
                if (t.FreeReturned) { Interlocked.Increment(ref callsAfterFree); }
                Thread.SpinWait(50); // widen the window in which Free must wait for us
                Interlocked.Add(ref t.Objects, -1);
                return 1;
            };
            all.Enqueue(s);
            return s;
        }

        void Churn(int worker)
        {
            var live = new Queue<Shrinker>();
            for (int i = 0; i < Iterations; i++)
            {
                Shrinker s = Make($"w{worker}");
                if (i % 7 == 0)
                {
                    s.Free(); // never registered
                    ((Tracker)s.PrivateData!).FreeReturned = true;
                    continue;
                }

                s.Register();
                live.Enqueue(s);
                if (live.Count > 8 || i % 3 == 0)
                {
                    Shrinker old = live.Dequeue();
                    old.Free();
                    ((Tracker)old.PrivateData!).FreeReturned = true;
                    Assert.Equal(ShrinkerState.Freed, old.State);
                    Assert.Equal(0, old.ReferenceCount);
                }
            }

            while (live.TryDequeue(out Shrinker? s))
            {
                s.Free();
                ((Tracker)s.PrivateData!).FreeReturned = true;
            }

            Interlocked.Decrement(ref churnersLeft);
        }

        void Pass(int worker)
        {
            int priority = 0;
            while (Volatile.Read(ref churnersLeft) > 0)
            {
                registry.ShrinkSlab(worker % 2, null, priority);
                priority = (priority + 1) % (ShrinkerRegistry.DefaultPriority + 1);
            }
        }

        await Threaded.Within(
            Threaded.RunTogether(4, i => { if (i < 2) { Churn(i); } else { Pass(i); } }),
            "the stress run");

        Assert.Equal(0, callsAfterFree);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Empty(registry.GetShrinkers());
        Assert.All(all, s =>
        {
            Assert.Equal(ShrinkerState.Freed, s.State);
            Assert.Equal(0, s.ReferenceCount);
            Assert.Equal(0, s.GetStatistics().RunningCallbacks);
            Assert.True(s.GetDeferred(0) >= 0 && s.GetDeferred(1) >= 0);
        });
        registry.AssertInvariants();

        // Every debug id was returned: the next allocation gets the lowest, 0.
        Assert.Equal(0, registry.Alloc("after").DebugId);
    }

    [Fact]
    public async Task ConcurrentPasses_SameShrinker_DeferredAndCountersStayConsistent()
    {
        // Four threads run passes over the same shrinkers at once; every object freed is accounted once.
        var registry = new ShrinkerRegistry();
        const long Initial = 1_000_000;
        var shrinkers = new List<(Shrinker Shrinker, StrongBox<long> Objects)>();
        for (int i = 0; i < 4; i++)
        {
            shrinkers.Add((TestShrinkers.Counter(registry, $"c{i}", Initial, out StrongBox<long> box), box));
        }

        long freedByPasses = 0;
        await Threaded.Within(
            Threaded.RunTogether(4, _ =>
            {
                for (int i = 0; i < Iterations / 10; i++)
                {
                    Interlocked.Add(ref freedByPasses, registry.ShrinkSlab(0, null, 6));
                }
            }),
            "concurrent passes");

        long remaining = shrinkers.Sum(s => s.Objects.Value);
        Assert.Equal(4 * Initial - remaining, freedByPasses);
        Assert.Equal(freedByPasses, shrinkers.Sum(s => s.Shrinker.GetStatistics().ObjectsFreed));
        Assert.All(shrinkers, s =>
        {
            Assert.Equal(1, s.Shrinker.ReferenceCount);
            Assert.InRange(s.Shrinker.GetDeferred(0), 0, 2 * Initial);
        });
    }
}
