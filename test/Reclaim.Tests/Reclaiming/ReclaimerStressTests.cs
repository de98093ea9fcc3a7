using Reclaim.Groups;
using Reclaim.Pressure;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// The reclaimer on real threads against everything that can happen at once: writers charging (and reclaiming for their
/// charges under the pressure line), direct reclaim, background runs woken by signals, shrinkers allocated, registered
/// and freed, groups created and taken offline. RECLAIM_STRESS_ITERATIONS raises the work for long runs.
/// </summary>
public class ReclaimerStressTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("RECLAIM_STRESS_ITERATIONS"), out int n) && n > 0 ? n : 2_000;

    [Fact]
    public async Task Everything_AtOnce_KeepsChargesBalancedAndNoCallbackAfterFree()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        var reader = new FakeMemoryReader { Heap = 850 * FakeMemoryReader.Mb };
        using var reclaimer = new Reclaimer(registry, new ReclaimerOptions
        {
            UseGen2CollectionSignal = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
            SamplingInterval = TimeSpan.Zero,
        }, reader);
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        using var steady = new ObjectPool(registry, "steady", 64 * 1024);
        int lateCalls = 0;
        reclaimer.Start();

        await Threaded.RunTogether(4, worker =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                switch (worker)
                {
                    case 0: // writer: objects charged to the tenant; charges may reclaim under the pressure line
                        steady.Add(tenant, 4);
                        break;
                    case 1: // direct reclaim and background signals
                        reclaimer.Reclaim(256 * 1024, i % 2 == 0 ? tenant : null, TestContext.Current.CancellationToken);
                        reclaimer.Signal(i % 3 == 0 ? MemoryPressureLevel.Critical : MemoryPressureLevel.None);
                        break;
                    case 2: // shrinkers come and go; none may be called once Free returned
                        Shrinker s = registry.Alloc($"churn{i}", ShrinkerFlags.GroupAware);
                        var freed = new StrongBox<bool>(false);
                        s.PrivateData = freed;
                        s.CountObjects = (Shrinker self, ref ShrinkControl _) => Check(self, ref lateCalls, 10);
                        s.ScanObjects = (Shrinker self, ref ShrinkControl sc) => Check(self, ref lateCalls, sc.NrToScan);
                        s.Register();
                        s.MarkHasObjects(tenant);
                        s.Free();
                        freed.Value = true;
                        break;
                    default: // groups come and go under the tenant
                        MemoryGroup child = tenant.CreateChild($"c{i}");
                        steady.Add(child, 1);
                        child.Offline();
                        break;
                }
            }
        });

        reclaimer.Stop();
        Assert.Equal(0, Volatile.Read(ref lateCalls));
        // Objects in children that went offline stay with those children in the pool; their charges moved to the tenant.
        Assert.Equal(steady.TotalCount() * 64 * 1024, tenant.Usage);
        Assert.Equal(tenant.Usage, registry.Root.Usage);
        Assert.True(reclaimer.RunCount > 0);
    }

    private static long Check(Shrinker self, ref int lateCalls, long value)
    {
        if (((StrongBox<bool>)self.PrivateData!).Value)
        {
            Interlocked.Increment(ref lateCalls);
        }

        return value;
    }
}
