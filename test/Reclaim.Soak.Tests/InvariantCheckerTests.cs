using Reclaim.Groups;

namespace Reclaim.Soak.Tests;

/// <summary>
/// Each invariant checker of the soak, in-process: it passes a clean state, and it reports a planted violation. A
/// checker that cannot fail would let the soak pass whatever the library did.
/// </summary>
public sealed class InvariantCheckerTests
{
    private readonly ShrinkerRegistry _registry = new(new ShrinkerRegistryOptions { NodeCount = 2 });
    private readonly WorldGate _gate = new();
    private readonly Violations _violations = new();
    private readonly Counters _counters = new();
    private readonly Ledger _ledger;

    public InvariantCheckerTests()
    {
        _ledger = new Ledger(_registry);
        SoakDiagnostics.On(_registry, _violations, _counters);
    }

    private SoakHolder NewHolder(ShrinkerFlags flags = ShrinkerFlags.GroupAware, bool register = true)
    {
        var holder = new SoakHolder(_registry, "test-holder", flags, _ledger, _gate, _violations, _counters);
        if (register)
        {
            holder.Register();
        }

        return holder;
    }

    private int Lifecycle(params SoakHolder[] holders) => Invariants.CheckLifecycle(_registry, holders, [], _violations);

    [Fact]
    public void Lifecycle_CleanHolders_NoViolation()
    {
        SoakHolder registered = NewHolder();
        SoakHolder allocated = NewHolder(register: false);
        SoakHolder freed = NewHolder();
        freed.Free();

        Assert.True(Lifecycle(registered, allocated, freed) > 0);
        Assert.Equal(0, _violations.Total);
    }

    [Fact]
    public void Lifecycle_CallbackAfterFree_Reported()
    {
        SoakHolder holder = NewHolder();
        holder.Free();

        // Planted: a callback of the freed shrinker runs (as a pass that ignored the reference count would call it).
        var control = new ShrinkControl(0, _registry.Root, 10);
        holder.Shrinker.ScanObjects!(holder.Shrinker, ref control);

        Assert.Equal(1, holder.CallsAfterFree);
        Assert.True(_violations.CountOf("callback-after-free") > 0);
        _ = Lifecycle(holder);
        Assert.True(_violations.CountOf("callback-after-free") >= 2, "The lifecycle checker itself reports the call.");
    }

    [Fact]
    public void Lifecycle_FreedBehindTheOwnersBack_Reported()
    {
        SoakHolder holder = NewHolder();

        // Planted: the shrinker is freed while its owner believes it registered.
        holder.Shrinker.Free();

        _ = Lifecycle(holder);
        Assert.True(_violations.CountOf("refcount") > 0, string.Join('\n', _violations.Messages));
    }

    [Fact]
    public void Lifecycle_RegisteredShrinkerNobodyOwns_ReportedAsLeak()
    {
        SoakHolder owned = NewHolder();

        // Planted: a registered shrinker no owner knows of (a leak of registrations).
        Shrinker stray = _registry.Alloc("stray");
        stray.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        stray.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        stray.Register();

        _ = Lifecycle(owned);
        Assert.True(_violations.CountOf("leak") > 0);
        Assert.True(_violations.CountOf("refcount") > 0, "The registered count no longer matches the owners' either.");
        stray.Free();
    }

    [Fact]
    public void Charges_Balanced_NoViolation()
    {
        MemoryGroup group = _registry.Root.CreateChild("a");
        GroupHandle handle = _ledger.Track(group, limited: false);
        SoakHolder holder = NewHolder();
        Assert.True(holder.AddItem(handle, 1000, 0));
        Assert.True(_ledger.TryCharge(_ledger.RootHandle, 500));
        group.Offline();
        Assert.True(holder.AddItem(handle, 300, 1)); // aimed at the offline group: lands on the root

        Assert.True(Invariants.CheckCharges(_ledger, _ => 0, _violations) > 0);
        _ = _ledger.RetireOffline();
        _ = Invariants.CheckCharges(_ledger, _ => 0, _violations);
        Assert.Equal(0, _violations.Total);
        Assert.Equal(1800, _registry.Root.Usage);
    }

    [Fact]
    public void Charges_ChargedBehindTheLedger_Reported()
    {
        MemoryGroup parent = _registry.Root.CreateChild("p");
        MemoryGroup child = parent.CreateChild("c");
        _ = _ledger.Track(parent, limited: false);
        GroupHandle handle = _ledger.Track(child, limited: false);
        Assert.True(_ledger.TryCharge(handle, 4096));

        // Planted: bytes charged that nobody recorded (a charge leaked by a holder, or counted twice by the library).
        child.Charge(7);

        _ = Invariants.CheckCharges(_ledger, _ => 0, _violations);
        Assert.Equal(3, _violations.CountOf("charges")); // the child, its parent and the root
    }

    [Fact]
    public void Charges_UnchargedMoreThanHeld_ReportedByTheHook()
    {
        MemoryGroup group = _registry.Root.CreateChild("u");

        // Planted: an uncharge the group never took.
        group.Uncharge(10);

        Assert.True(_violations.CountOf("charges") > 0);
    }

    [Fact]
    public void CacheCharges_Mismatch_ReportedAfterRetries()
    {
        MemoryGroup group = _registry.Root.CreateChild("cache");
        group.Charge(100);

        Assert.True(Invariants.CheckCacheCharges("c", group, () => 100, _violations, attempts: 3));
        Assert.Equal(0, _violations.Total);
        Assert.False(Invariants.CheckCacheCharges("c", group, () => 99, _violations, attempts: 3));
        Assert.Equal(1, _violations.CountOf("charges"));
    }

    [Fact]
    public void Bits_ListWithItemsAndBitSet_NoMismatch()
    {
        MemoryGroup group = _registry.Root.CreateChild("b");
        GroupHandle handle = _ledger.Track(group, limited: false);
        SoakHolder holder = NewHolder(ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware);
        Assert.True(holder.AddItem(handle, 100, 1));
        int checks = 0;

        Assert.Empty(Invariants.FindBitMismatches([holder], [group], _registry.NodeCount, ref checks));
        Assert.Equal(2, checks);
        Assert.True(GroupBits.IsSet(group, 1, holder.Shrinker));
    }

    [Fact]
    public void Bits_ClearedOverListedItems_Found()
    {
        MemoryGroup group = _registry.Root.CreateChild("b");
        GroupHandle handle = _ledger.Track(group, limited: false);
        SoakHolder holder = NewHolder();
        Assert.True(holder.AddItem(handle, 100, 0));

        // Planted: the count lies (Empty) while the list holds an item; a group pass then clears the bit.
        holder.CountOverride = () => Shrinker.Empty;
        _ = _registry.ShrinkSlab(0, group, ShrinkerRegistry.DefaultPriority);
        holder.CountOverride = null;
        int checks = 0;

        BitMismatch mismatch = Assert.Single(Invariants.FindBitMismatches([holder], [group], _registry.NodeCount, ref checks));
        Assert.Same(group, mismatch.Group);
        Assert.Equal(1, mismatch.Items);
        Assert.Single(Invariants.StillMismatched([mismatch]));
    }

    [Fact]
    public void ListContents_ItemHeldButNotListed_Reported()
    {
        SoakHolder holder = NewHolder();
        Assert.True(holder.AddItem(_ledger.RootHandle, 100, 0));
        Assert.True(Invariants.CheckListContents([holder], _violations) > 0);
        Assert.Equal(0, _violations.Total);

        // Planted: the item leaves the list behind its holder's back.
        Assert.True(holder.Lru.Remove(holder.Items.Keys.Single()));

        _ = Invariants.CheckListContents([holder], _violations);
        Assert.True(_violations.CountOf("lists") > 0);
    }

    [Fact]
    public void OfflineLists_NoneAfterOffline_ProbeSeesTheField()
    {
        MemoryGroup group = _registry.Root.CreateChild("o");
        GroupHandle handle = _ledger.Track(group, limited: false);
        SoakHolder holder = NewHolder();
        Assert.True(holder.AddItem(handle, 100, 0));
        Assert.Empty(ListLruProbe.OfflineGroupsKept(holder.Lru)!);

        group.Offline();

        Assert.NotNull(ListLruProbe.OfflineGroupsKept(holder.Lru));
        Assert.True(ListLruProbe.Check([holder], _violations) > 0);
        Assert.Equal(0, _violations.Total);
    }

    [Fact]
    public void OfflineLists_KeptByADisposedListLru_Reported()
    {
        MemoryGroup group = _registry.Root.CreateChild("o");
        GroupHandle handle = _ledger.Track(group, limited: false);
        SoakHolder holder = NewHolder();
        Assert.True(holder.AddItem(handle, 100, 0));

        // Planted: the lists stop following offlining (as a disposed ListLru does) while the holder looks live.
        holder.Lru.Dispose();
        group.Offline();

        _ = ListLruProbe.Check([holder], _violations);
        Assert.Equal(1, _violations.CountOf("leak"));
    }

    [Fact]
    public void Flatness_SteadyClimb_Reported()
    {
        List<Sample> samples = [.. Enumerable.Range(0, 60).Select(i => Sample(i, heapMb: 100 + (10 * i), shrinkers: 20))];

        List<string> failures = Flatness.Check(samples, 60, out int warm);

        Assert.Equal(48, warm);
        Assert.Contains(failures, f => f.StartsWith("heap_mb", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.StartsWith("shrinkers", StringComparison.Ordinal));
    }

    [Fact]
    public void Flatness_NoisyButFlat_NoFailure()
    {
        List<Sample> samples = [.. Enumerable.Range(0, 60).Select(i => Sample(i, heapMb: 100 + (i % 7 * 10), shrinkers: 10 + (i % 5)))];

        Assert.Empty(Flatness.Check(samples, 60, out _));
    }

    [Fact]
    public void Flatness_TooFewSamples_NotJudged()
    {
        List<Sample> samples = [.. Enumerable.Range(0, 8).Select(i => Sample(i, heapMb: 1000 * i, shrinkers: 1))];

        Assert.Empty(Flatness.Check(samples, 8, out int warm));
        Assert.True(warm < Flatness.MinimumSamples);
    }

    [Fact]
    public void LeakTracker_HeldObjectUnreleased_DroppedObjectReleased()
    {
        var tracker = new LeakTracker();
        object held = new byte[100];
        TrackDropped(tracker);
        tracker.Track(held, "held", 0);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();

        List<string> unreleased = tracker.Unreleased(1);

        Assert.Equal(["held (dropped at 0.0 s)"], unreleased);
        Assert.Empty(tracker.Unreleased(-1)); // dropped after the cut-off: not judged yet
        GC.KeepAlive(held);
    }

    [Fact]
    public void Gate_Pause_WaitsForTheThreadInside()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var inside = new Thread(() =>
        {
            _gate.Enter();
            entered.Set();
            release.Wait();
            _gate.Enter(); // re-entrant: does not wait for the pause
            _gate.Exit();
            _gate.Exit();
        });
        inside.Start();
        entered.Wait(TestContext.Current.CancellationToken);

        Assert.False(_gate.TryPause(TimeSpan.FromMilliseconds(200)));
        release.Set();
        Assert.True(_gate.TryPause(TimeSpan.FromSeconds(10)));
        _gate.Resume();
        inside.Join();
    }

    private static void TrackDropped(LeakTracker tracker) => tracker.Track(new byte[100], "dropped", 0);

    private static Sample Sample(int seconds, double heapMb, double shrinkers) =>
        new(seconds, new Dictionary<string, double>(StringComparer.Ordinal) { ["heap_mb"] = heapMb, ["shrinkers"] = shrinkers });
}
