using Reclaim.FaultInjection.Tests.Fixtures;
using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.FaultInjection.Tests;

/// <summary>
/// Callbacks that call back into the registry: <see cref="Shrinker.Free"/> of their own shrinker (documented to throw
/// <see cref="InvalidOperationException"/> instead of waiting for itself) or of another one mid-pass, registering new
/// shrinkers, charging and uncharging their group (a charge from inside a callback never starts reclaim: it is charged
/// or refused at once), reclaiming, and running a pass of their own. Nothing deadlocks, nothing nests where it must not,
/// no callback runs after its shrinker's Free returned, and the charges balance.
/// </summary>
public class ReentrantCallbackTests
{
    [Fact(Timeout = Run.TestMs)]
    public async Task ScanFreesItsOwnShrinkerAndDoesNotCatch_ThrowsInsideReportedAndTheShrinkerLives()
    {
        using var events = new FaultEvents();
        using var scene = new Scene();
        FaultyShrinker suicidal = scene.Add("frees-itself");
        FaultyShrinker after = scene.Add("after");
        suicidal.Scan = (FaultyShrinker self, ref ShrinkControl _, int _) =>
        {
            self.Shrinker.Free();
            return 0;
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2), "the pass (a self-Free would wait for itself)");

        Assert.Equal(500, freed);
        Assert.Equal(500, after.ObjectsTaken);
        Assert.Equal(ShrinkerState.Registered, suicidal.Shrinker.State);
        Assert.Equal(1, suicidal.Statistics.CallbackErrors);
        var thrown = Assert.IsType<InvalidOperationException>(Assert.Single(scene.Reports.Failures).Exception);
        Assert.Contains("inside its own callback", thrown.Message, StringComparison.Ordinal);
        var e = Assert.Single(events.Of("CallbackFailed", suicidal.Name));
        Assert.Equal(typeof(InvalidOperationException).FullName, FaultEvents.Field(e, "exceptionType"));
        Assert.Equal(500, suicidal.Shrinker.GetDeferred(0)); // taken as Stop: its whole share deferred

        // Still callable, and freeable from outside.
        suicidal.Scan = null;
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));
        Assert.True(suicidal.ObjectsTaken > 0);
        await Run.Within(suicidal.Free, "Free from outside");
        Assert.Equal(ShrinkerState.Freed, suicidal.Shrinker.State);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData("Free")]
    [InlineData("Dispose")]
    [InlineData("FreeAsync")]
    public async Task CountFreesItsOwnShrinker_EveryWayOfFreeingRefusesWithInvalidOperation(string how)
    {
        using var scene = new Scene();
        FaultyShrinker suicidal = scene.Add("frees-itself");
        Exception? refused = null;
        suicidal.Count = (FaultyShrinker self, ref ShrinkControl control, int _) =>
        {
            switch (how)
            {
                case "Free":
                    refused = Record.Exception(self.Shrinker.Free);
                    break;
                case "Dispose":
                    refused = Record.Exception(self.Shrinker.Dispose);
                    break;
                default:
                    Task freeing = self.Shrinker.FreeAsync(TestContext.Current.CancellationToken);
                    refused = freeing.IsFaulted ? freeing.Exception!.InnerException : null;
                    break;
            }

            return self.HonestCount(ref control);
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2), "the pass");

        Assert.IsType<InvalidOperationException>(refused);
        Assert.Equal(500, freed);
        Assert.Equal(ShrinkerState.Registered, suicidal.Shrinker.State);
        Assert.Equal(0, suicidal.Statistics.CallbackErrors);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanFreesTheNextShrinkerMidPass_ThePassSkipsItAndStillReclaimsTheRest()
    {
        using var scene = new Scene();
        FaultyShrinker killer = scene.Add("killer");
        FaultyShrinker victim = scene.Add("victim");
        FaultyShrinker after = scene.Add("after");
        killer.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                victim.Free();
            }

            return self.HonestScan(ref control);
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));

        Assert.Equal(1000, freed);
        Assert.Equal(500, killer.ObjectsTaken);
        Assert.Equal(500, after.ObjectsTaken);
        Assert.Equal(0, victim.Calls);
        Assert.Equal(ShrinkerState.Freed, victim.Shrinker.State);
        Assert.Equal(2, scene.Registry.RegisteredCount);
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));
        Assert.Equal(0, victim.CallsAfterFree);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanFreesAShrinkerHeldInAnotherPass_WaitsForThatCallOnlyThenBothPassesEnd()
    {
        using var scene = new Scene();
        FaultyShrinker victim = scene.Add("victim");
        FaultyShrinker killer = scene.Add("killer");
        using var hold = new Hold();
        victim.Scan = Faults.HangScan(hold, Faults.First);
        int freeReturned = 0;
        killer.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                victim.Free();
                Volatile.Write(ref freeReturned, 1);
            }

            return self.HonestScan(ref control);
        };

        Task held = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));
        hold.WaitEntered("the victim's scan");
        Task killing = Threaded.Start(() => scene.Registry.ShrinkSlab(0, null, 2));

        // The killer's Free waits for the victim's call in flight (documented), not for anything else.
        Run.Until(() => victim.Shrinker.State == ShrinkerState.Freeing, "the victim's Free beginning");
        Assert.False(await Threaded.CompletesWithin(killing, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, Volatile.Read(ref freeReturned));
        hold.Release();
        await Threaded.Within(Task.WhenAll(held, killing), "both passes after the release");

        Assert.Equal(1, Volatile.Read(ref freeReturned));
        Assert.Equal(ShrinkerState.Freed, victim.Shrinker.State);
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 0));
        Assert.Equal(0, victim.CallsAfterFree);
        Assert.Equal(1, scene.Registry.RegisteredCount);
    }

    [Theory(Timeout = Run.TestMs)]
    [InlineData("count")]
    [InlineData("scan")]
    public async Task CallbackRegistersANewShrinker_ItIsRegisteredAndReclaimedByTheNextPass(string callback)
    {
        using var scene = new Scene();
        FaultyShrinker parent = scene.Add("registers");
        FaultyShrinker? child = null;
        FaultyCallback register = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                child = scene.Add("registered-inside");
            }

            return callback == "count" ? self.HonestCount(ref control) : self.HonestScan(ref control);
        };
        if (callback == "count")
        {
            parent.Count = register;
        }
        else
        {
            parent.Scan = register;
        }

        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));
        Assert.NotNull(child);
        Assert.Equal(ShrinkerState.Registered, child.Shrinker.State);
        long taken = child.ObjectsTaken; // the running pass may or may not have reached it (a reader of the list as it was)
        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2));

        Assert.True(child.ObjectsTaken > taken, "the next pass reclaimed the shrinker registered inside a callback");
        Assert.Equal(2, scene.Registry.RegisteredCount);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanRegistersManyGroupAwareShrinkersMidGroupPass_TheTablesGrowAndEveryOneIsFound()
    {
        // 130 more group-aware ids: every group's table grows twice while the pass walks the old one.
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker first = scene.AddInGroup("first", tenant, objects: 100, bytesPerObject: 10);
        var added = new List<FaultyShrinker>();
        first.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                for (int i = 0; i < 130; i++)
                {
                    added.Add(scene.AddInGroup("added", tenant, objects: 100, bytesPerObject: 10));
                }
            }

            return self.HonestScan(ref control);
        };

        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));
        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(130, added.Count);
        Assert.All(added, a => Assert.Equal(0, a.Objects));
        Assert.Equal(0, first.Objects);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(131, scene.Registry.RegisteredCount);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanChargesItsGroupAboveHighAndAboveMax_NoNestedReclaimChargedOrRefusedAtOnce()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker grower = scene.AddInGroup("charges-inside", tenant, objects: 1_000, bytesPerObject: 10);
        FaultyShrinker other = scene.AddInGroup("other", tenant, objects: 1_000, bytesPerObject: 10);
        tenant.High = 20_000;
        tenant.Max = 40_000;
        var nesting = new NestingProbe(grower, other);
        bool aboveHigh = false;
        bool aboveMax = true;
        Exception? refusal = null;
        grower.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            long taken = self.HonestScan(ref control);
            if (call == 0)
            {
                using (nesting.Charging())
                {
                    aboveHigh = tenant.TryCharge(15_000);                          // over High: charged, no reclaim
                    aboveMax = tenant.TryCharge(100_000);                          // over Max: refused
                    refusal = Record.Exception(() => tenant.Charge(100_000));
                }
            }

            return taken;
        };

        await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.Equal(0, nesting.Nested);
        Assert.True(aboveHigh);
        Assert.False(aboveMax);
        var exceeded = Assert.IsType<MemoryGroupLimitExceededException>(refusal);
        Assert.Same(tenant, exceeded.Group);
        Assert.Equal(grower.HeldBytes + other.HeldBytes + 15_000, tenant.Usage);
        Assert.Equal(tenant.Usage, scene.Root.Usage);
        tenant.Uncharge(15_000);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanChargesInsideTheReclaimOfACharge_TheOuterChargeCompletesAndEverythingBalances()
    {
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        FaultyShrinker grower = scene.AddInGroup("charges-inside", tenant, objects: 1_000, bytesPerObject: 10);
        tenant.High = 10_000;
        var nesting = new NestingProbe(grower);
        int innerCharges = 0;
        grower.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            long taken = self.HonestScan(ref control);
            if (call == 0)
            {
                // More than it gave back, taking the group above High again: charged at once, no reclaim nested in it.
                using (nesting.Charging())
                {
                    if (tenant.TryCharge(2_000))
                    {
                        innerCharges = 2_000;
                    }
                }
            }

            return taken;
        };

        bool charged = await Run.Within(() => tenant.TryCharge(4_000), "the outer charge");

        Assert.True(charged);
        Assert.Equal(0, nesting.Nested);
        Assert.Equal(2_000, innerCharges);
        Assert.Equal(grower.HeldBytes + innerCharges + 4_000, tenant.Usage);
        Assert.True(tenant.Usage <= tenant.High, "the outer charge fits under High once its reclaim ends");
        tenant.Uncharge(innerCharges + 4_000);
        Assert.Equal(grower.HeldBytes, scene.Root.Usage);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task BackgroundRunCallbackChargesAndReclaims_NeitherNestsAndTheRunCompletes()
    {
        // The always-reclaiming reclaimer puts the root's pressure line at 0: outside reclaim every charge would reclaim.
        using var scene = new Scene();
        FaultyShrinker grower = scene.Add("background-charger", objects: 1_000_000);
        var nesting = new NestingProbe(grower);
        using var reclaimer = new Reclaimer(scene.Registry, Reclaimers.AlwaysReclaiming());
        ReclaimResult? inner = null;
        bool? charged = null;
        grower.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                using (nesting.Charging())
                {
                    charged = scene.Root.TryCharge(1_000);
                    inner = reclaimer.Reclaim(1_000, cancellationToken: TestContext.Current.CancellationToken);
                }
            }

            return self.HonestScan(ref control);
        };

        reclaimer.Start();
        Run.Until(() => reclaimer.RunCount >= 1, "the background run");
        await Run.Within(reclaimer.Stop, "Stop");

        Assert.Equal(0, nesting.Nested);
        Assert.True(charged);
        Assert.Equal(new ReclaimResult(0, 0, -1, false), inner); // documented: returns at once from inside a callback
        Assert.Equal(1_000, scene.Root.Usage);
        scene.Root.Uncharge(1_000);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task ScanRunsAPassAndDropCachesOfItsOwn_NoDeadlockAndTheOuterPassGoesOn()
    {
        using var scene = new Scene();
        FaultyShrinker outer = scene.Add("runs-passes", objects: 100_000);
        FaultyShrinker other = scene.Add("other", objects: 100_000);
        int sawRunning = 0;
        outer.Scan = (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (call == 0)
            {
                scene.Registry.ShrinkSlab(0, null, 6); // visits this shrinker again, re-entrantly
                sawRunning = self.Statistics.RunningCallbacks; // the nested visit is over; this call still runs
                scene.Registry.DropCaches(TestContext.Current.CancellationToken);
            }

            return self.HonestScan(ref control);
        };

        await Run.Within(() => scene.Registry.ShrinkSlab(0, null, 2), "the outer pass");

        Assert.Equal(1, sawRunning);
        Assert.True(outer.ScanCalls > 1, "the nested passes called the outer shrinker again");
        Assert.Equal(0, outer.Objects); // DropCaches inside emptied both
        Assert.Equal(0, other.Objects);
        Assert.Equal(0, outer.Statistics.RunningCallbacks);
        Assert.Empty(scene.Reports.All);
    }

    [Fact(Timeout = Run.TestMs)]
    public async Task IsolateWalksTheListItIsWalking_RefusedAndNoItemIsStranded()
    {
        // A walk nested in an isolate callback of the same list would unlink items under the outer walk; the outer walk
        // would then unlink them again from a list they are no longer on, leaving the list's count and links apart
        // (items counted but unreachable: their charges never given back).
        using var scene = new Scene();
        MemoryGroup tenant = scene.Root.CreateChild("tenant");
        using var holder = new LruHolder(scene.Registry, Names.Unique("walks-inside"), bytesPerItem: 100, batch: 10);
        holder.Add(tenant, 20);
        Exception? refused = null;
        holder.OnItem = (_, index) =>
        {
            if (index == 1)
            {
                refused = Record.Exception(() =>
                {
                    long budget = 5;
                    int state = 0;
                    holder.Lru.Walk(0, tenant, static (HeldItem _, ref int _) => LruWalkResult.Removed, ref state, ref budget);
                });
            }

            return null;
        };

        long freed = await Run.Within(() => scene.Registry.ShrinkSlab(0, tenant, 0));

        Assert.IsType<InvalidOperationException>(refused);
        Assert.Equal(20, freed);
        Assert.Equal(0, holder.Lru.Count);
        Assert.Equal(0, tenant.Usage);
        Assert.Equal(0, scene.Root.Usage);
    }

    /// <summary>
    /// Counts callbacks of the given shrinkers entered on a thread while that thread is charging from inside a callback:
    /// any such entry is a reclaim nested in the charge (every visit starts with the count, which this wraps).
    /// </summary>
    private sealed class NestingProbe
    {
        [ThreadStatic]
        private static NestingProbe? t_charging;

        private int _nested;

        public NestingProbe(params FaultyShrinker[] shrinkers)
        {
            foreach (FaultyShrinker shrinker in shrinkers)
            {
                FaultyCallback? count = shrinker.Count;
                shrinker.Count = (FaultyShrinker self, ref ShrinkControl control, int call) =>
                {
                    if (ReferenceEquals(t_charging, this))
                    {
                        Interlocked.Increment(ref _nested);
                    }

                    return count is null ? self.HonestCount(ref control) : count(self, ref control, call);
                };
            }
        }

        public int Nested => Volatile.Read(ref _nested);

        public IDisposable Charging()
        {
            t_charging = this;
            return new Scope();
        }

        private sealed class Scope : IDisposable
        {
            public void Dispose() => t_charging = null;
        }
    }
}
