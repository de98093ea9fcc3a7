using Microsoft.Extensions.Time.Testing;

namespace Reclaim.Tests;

// This file holds four test classes, one per concern: argument checks, state rules (what may be done when),
// debug ids and names, and statistics.

/// <summary>Every argument check: exception type, ParamName, and what the message tells the caller.</summary>
public class ArgumentValidationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\r\n")]
    public void Alloc_NameNullEmptyOrWhiteSpace_ThrowsArgumentException(string? name)
    {
        var registry = new ShrinkerRegistry();

        ArgumentException ex = Assert.Throws<ArgumentException>(() => registry.Alloc(name!));

        Assert.Equal("name", ex.ParamName);
        Assert.Contains("not empty or white space", ex.Message, StringComparison.Ordinal);

        // The failed call took no debug id.
        Assert.Equal(0, registry.Alloc("next").DebugId);
    }

    [Theory]
    [InlineData((ShrinkerFlags)4)]
    [InlineData((ShrinkerFlags)7)]
    [InlineData((ShrinkerFlags)int.MinValue)]
    public void Alloc_FlagsWithUnknownBits_ThrowsArgumentOutOfRange(ShrinkerFlags flags)
    {
        var registry = new ShrinkerRegistry();

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => registry.Alloc("bad", flags));

        Assert.Equal("flags", ex.ParamName);
        Assert.Equal(flags, ex.ActualValue);
        Assert.Contains("Only ShrinkerFlags.NodeAware and ShrinkerFlags.GroupAware may be set", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.Alloc("next").DebugId);
    }

    [Theory]
    [InlineData(ShrinkerFlags.None, false, false)]
    [InlineData(ShrinkerFlags.NodeAware, true, false)]
    [InlineData(ShrinkerFlags.GroupAware, false, true)]
    [InlineData(ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware, true, true)]
    public void Alloc_KnownFlags_AreKept(ShrinkerFlags flags, bool nodeAware, bool groupAware)
    {
        Shrinker s = new ShrinkerRegistry().Alloc("ok", flags);

        Assert.Equal(flags, s.Flags);
        Assert.Equal(nodeAware, s.IsNodeAware);
        Assert.Equal(groupAware, s.IsGroupAware);
        Assert.Equal(ShrinkerState.Allocated, s.State);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Seeks_Negative_ThrowsArgumentOutOfRange(int value)
    {
        Shrinker s = new ShrinkerRegistry().Alloc("s");

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.Seeks = value);

        Assert.Equal("value", ex.ParamName);
        Assert.Equal(value, ex.ActualValue);
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Shrinker.DefaultSeeks, s.Seeks);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Batch_Negative_ThrowsArgumentOutOfRange(int value)
    {
        Shrinker s = new ShrinkerRegistry().Alloc("s");

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.Batch = value);

        Assert.Equal("value", ex.ParamName);
        Assert.Equal(value, ex.ActualValue);
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, s.Batch);
    }

    [Fact]
    public void SeeksAndBatch_Zero_Accepted()
    {
        Shrinker s = new ShrinkerRegistry().Alloc("s");

        s.Seeks = 0;
        s.Batch = 0;

        Assert.Equal(0, s.Seeks);
        Assert.Equal(0, s.Batch);
        Assert.Equal(Shrinker.DefaultBatch, s.EffectiveBatch);
    }

    [Fact]
    public void CountObjects_Null_ThrowsArgumentNull()
    {
        Shrinker s = new ShrinkerRegistry().Alloc("s");

        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => s.CountObjects = null);

        Assert.Equal("value", ex.ParamName);
        Assert.Null(s.CountObjects);
    }

    [Fact]
    public void ScanObjects_Null_ThrowsArgumentNull()
    {
        Shrinker s = new ShrinkerRegistry().Alloc("s");

        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => s.ScanObjects = null);

        Assert.Equal("value", ex.ParamName);
        Assert.Null(s.ScanObjects);
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(2, 2)]
    [InlineData(int.MaxValue, 2)]
    [InlineData(int.MinValue, 2)]
    [InlineData(1, 1)]
    public void ShrinkSlab_NodeOutOfRange_ThrowsArgumentOutOfRangeAndCallsNothing(int node, int nodeCount)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = nodeCount });
        Func<int> callCount = RegisterCounting(registry);

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => registry.ShrinkSlab(node, null, 0));

        Assert.Equal("node", ex.ParamName);
        Assert.Equal(node, ex.ActualValue);
        Assert.Contains($"between 0 and {nodeCount - 1}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"NodeCount is {nodeCount}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, callCount());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(13)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void ShrinkSlab_PriorityOutOfRange_ThrowsArgumentOutOfRangeNamingTheRange(int priority)
    {
        var registry = new ShrinkerRegistry();
        Func<int> callCount = RegisterCounting(registry);

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => registry.ShrinkSlab(0, null, priority));

        Assert.Equal("priority", ex.ParamName);
        Assert.Equal(priority, ex.ActualValue);
        Assert.Contains("between 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("and 12", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, callCount());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    public void ShrinkSlab_PriorityAtEitherEnd_Accepted(int priority)
    {
        var registry = new ShrinkerRegistry();
        Func<int> callCount = RegisterCounting(registry);

        registry.ShrinkSlab(0, registry.Root, priority);

        Assert.Equal(1, callCount());
    }

    [Fact]
    public void ShrinkSlab_GroupOfAnotherRegistry_ThrowsArgumentException()
    {
        var registry = new ShrinkerRegistry();
        var other = new ShrinkerRegistry();
        Func<int> callCount = RegisterCounting(registry);

        ArgumentException ex = Assert.Throws<ArgumentException>(() => registry.ShrinkSlab(0, other.Root, 0));

        Assert.Equal("group", ex.ParamName);
        Assert.Contains("belongs to another registry", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, callCount());
    }

    [Fact]
    public void Constructor_NullOptions_ThrowsArgumentNull()
    {
        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => new ShrinkerRegistry(null!));

        Assert.Equal("options", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1025)]
    [InlineData(int.MaxValue)]
    public void Constructor_NodeCountOutOfRange_ThrowsArgumentOutOfRange(int nodeCount)
    {
        var options = new ShrinkerRegistryOptions { NodeCount = nodeCount };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkerRegistry(options));

        Assert.Equal("options", ex.ParamName);
        Assert.Equal(nodeCount, ex.ActualValue);
        Assert.Contains("NodeCount must be between 1 and 1024", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(ShrinkerRegistry.MaxNodeCount)]
    public void Constructor_NodeCountAtEitherEnd_Accepted(int nodeCount)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = nodeCount });

        Assert.Equal(nodeCount, registry.NodeCount);
    }

    [Fact]
    public void Constructor_NullTimeProvider_ThrowsArgumentNullAsDocumented()
    {
        // The constructor's XML doc: <exception cref="ArgumentNullException">options or its TimeProvider is null.
        var options = new ShrinkerRegistryOptions { TimeProvider = null! };

        ArgumentException ex = Assert.ThrowsAny<ArgumentException>(() => new ShrinkerRegistry(options));

        Assert.IsType<ArgumentNullException>(ex);
        Assert.Equal("options", ex.ParamName);
        Assert.Contains("TimeProvider must not be null", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ShrinkerFlags.None, 1, "nodes 0 to 0")]
    [InlineData(ShrinkerFlags.None, -1, "nodes 0 to 0")]
    [InlineData(ShrinkerFlags.NodeAware, 2, "nodes 0 to 1")]
    [InlineData(ShrinkerFlags.NodeAware, -1, "nodes 0 to 1")]
    public void GetDeferred_NodeNotKept_ThrowsArgumentOutOfRange(ShrinkerFlags flags, int node, string range)
    {
        Shrinker s = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 }).Alloc("d", flags);

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.GetDeferred(node));

        Assert.Equal("node", ex.ParamName);
        Assert.Equal(node, ex.ActualValue);
        Assert.Contains(range, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'d-0'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetDeferred_NodeAwareEveryNode_StartsAtZero()
    {
        Shrinker s = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 }).Alloc("d", ShrinkerFlags.NodeAware);

        Assert.Equal(0, s.GetDeferred(0));
        Assert.Equal(0, s.GetDeferred(1));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\r\n")]
    public void Rename_NameNullEmptyOrWhiteSpace_ThrowsArgumentExceptionAndKeepsName(string? name)
    {
        Shrinker s = new ShrinkerRegistry().Alloc("before");

        ArgumentException ex = Assert.Throws<ArgumentException>(() => s.Rename(name!));

        Assert.Equal("name", ex.ParamName);
        Assert.Contains("not empty or white space", ex.Message, StringComparison.Ordinal);
        Assert.Equal("before", s.Name);
    }

    [Theory]
    [InlineData(-1, 0L, "node")]
    [InlineData(int.MinValue, 0L, "node")]
    [InlineData(0, -1L, "nrToScan")]
    [InlineData(0, long.MinValue, "nrToScan")]
    public void ShrinkControlConstructor_Negative_ThrowsArgumentOutOfRange(int node, long nrToScan, string paramName)
    {
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ShrinkControl(node, null, nrToScan));

        Assert.Equal(paramName, ex.ParamName);
        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShrinkControlConstructor_Valid_PresetsNrScannedToNrToScan()
    {
        var registry = new ShrinkerRegistry();

        var control = new ShrinkControl(3, registry.Root, 77);

        Assert.Equal(3, control.Node);
        Assert.Same(registry.Root, control.Group);
        Assert.Equal(77, control.NrToScan);
        Assert.Equal(77, control.NrScanned);
    }

    /// <summary>Registers a shrinker with nothing to free; returns how many callbacks it has had.</summary>
    private static Func<int> RegisterCounting(ShrinkerRegistry registry)
    {
        int calls = 0;
        Shrinker s = registry.Alloc("counting");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) =>
        {
            calls++;
            return 0;
        };
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) =>
        {
            calls++;
            return 0;
        };
        s.Register();
        return () => calls;
    }
}

/// <summary>What may be done in which state: Register's requirements, settings fixed at Register, Rename after Free.</summary>
public class ShrinkerStateRuleTests
{
    [Theory]
    [InlineData(false, false, "without CountObjects and ScanObjects;")]
    [InlineData(false, true, "without CountObjects;")]
    [InlineData(true, false, "without ScanObjects;")]
    public void Register_MissingCallback_ThrowsNamingIt(bool setCount, bool setScan, string expected)
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("incomplete");
        if (setCount)
        {
            s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        }

        if (setScan)
        {
            s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        }

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(s.Register);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'incomplete-0'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ShrinkerState.Allocated, s.State);
        Assert.Equal(0, registry.RegisteredCount);
        Assert.Empty(registry.GetShrinkers());

        // Still allocated: once both callbacks are set it registers.
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.Register();
        Assert.Equal(ShrinkerState.Registered, s.State);
    }

    [Fact]
    public void Register_Twice_ThrowsInvalidOperation()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = Complete(registry.Alloc("twice"));
        s.Register();

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(s.Register);

        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, registry.RegisteredCount);
    }

    [Fact]
    public void Register_AfterFree_ThrowsInvalidOperation()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = Complete(registry.Alloc("gone"));
        s.Free();

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(s.Register);

        Assert.Contains("has been freed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.RegisteredCount);
    }

    public static TheoryData<string, bool> Settings()
    {
        var data = new TheoryData<string, bool>();
        foreach (string setting in new[] { "Seeks", "Batch", "CountObjects", "ScanObjects" })
        {
            data.Add(setting, false);
            data.Add(setting, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Setting_AfterRegisterOrFree_ThrowsInvalidOperationNamingTheSetting(string setting, bool freed)
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = Complete(registry.Alloc("fixed"));
        s.Seeks = 5;
        s.Batch = 7;
        s.Register();
        if (freed)
        {
            s.Free();
        }

        ShrinkerCallback callback = (Shrinker _, ref ShrinkControl _) => 0;
        Action set = setting switch
        {
            "Seeks" => () => s.Seeks = 1,
            "Batch" => () => s.Batch = 1,
            "CountObjects" => () => s.CountObjects = callback,
            "ScanObjects" => () => s.ScanObjects = callback,
            _ => throw new ArgumentOutOfRangeException(nameof(setting)),
        };

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(set);

        Assert.StartsWith($"{setting} of shrinker 'fixed-0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(freed ? "(it is Freed)" : "(it is Registered)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("before Register()", ex.Message, StringComparison.Ordinal);
        Assert.Equal(5, s.Seeks);
        Assert.Equal(7, s.Batch);
        Assert.NotSame(callback, s.CountObjects);
        Assert.NotSame(callback, s.ScanObjects);
    }

    [Fact]
    public void PrivateData_AfterRegister_MayBeSet()
    {
        Shrinker s = Complete(new ShrinkerRegistry().Alloc("data"));
        s.Register();
        object state = new();

        s.PrivateData = state;

        Assert.Same(state, s.PrivateData);
    }

    [Fact]
    public void Rename_AfterFree_ThrowsInvalidOperationAndKeepsName()
    {
        Shrinker s = Complete(new ShrinkerRegistry().Alloc("old"));
        s.Register();
        s.Free();

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => s.Rename("new"));

        Assert.Contains("has been freed", ex.Message, StringComparison.Ordinal);
        Assert.Equal("old", s.Name);
    }

    [Fact]
    public void Rename_NeverRegisteredThenFreed_ThrowsInvalidOperation()
    {
        Shrinker s = new ShrinkerRegistry().Alloc("old");
        s.Free();

        Assert.Throws<InvalidOperationException>(() => s.Rename("new"));
        Assert.Equal("old", s.Name);
    }

    [Fact]
    public void Rename_Registered_TrimsAndDebugNameFollows()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = Complete(registry.Alloc("old"));
        s.Register();

        s.Rename("  new name \t");

        Assert.Equal("new name", s.Name);
        Assert.Equal("new name-0", s.ToString());
        Assert.Same(s, registry.FindShrinker("new name-0"));
        Assert.Null(registry.FindShrinker("old-0"));
    }

    private static Shrinker Complete(Shrinker s)
    {
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        return s;
    }
}

/// <summary>Debug ids (lowest free, reused after Free) and the debug name <c>name-id</c>.</summary>
public class ShrinkerDebugIdTests
{
    [Fact]
    public void Alloc_NameWithSurroundingWhiteSpace_IsTrimmed()
    {
        Shrinker s = new ShrinkerRegistry().Alloc("  dentry cache\t");

        Assert.Equal("dentry cache", s.Name);
        Assert.Equal("dentry cache-0", s.ToString());
    }

    [Fact]
    public void Alloc_AfterFree_ReusesLowestFreeId()
    {
        var registry = new ShrinkerRegistry();
        Shrinker a = registry.Alloc("a");
        Shrinker b = registry.Alloc("b");
        Shrinker c = registry.Alloc("c");
        Assert.Equal([0, 1, 2], new[] { a.DebugId, b.DebugId, c.DebugId });

        // b was only allocated; a is registered then freed.
        b.Free();
        a.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        a.ScanObjects = (Shrinker _, ref ShrinkControl _) => 0;
        a.Register();
        a.Free();

        Shrinker d = registry.Alloc("d");
        Shrinker e = registry.Alloc("e");
        Shrinker f = registry.Alloc("f");

        Assert.Equal(0, d.DebugId);
        Assert.Equal(1, e.DebugId);
        Assert.Equal(3, f.DebugId);
        Assert.Equal("d-0", d.ToString());
        Assert.Equal("e-1", e.ToString());
        Assert.Equal("f-3", f.ToString());
        Assert.Equal("c-2", c.ToString());
    }

    [Fact]
    public void Alloc_IdsBeyondOneWord_StayUniqueAndLowest()
    {
        var registry = new ShrinkerRegistry();
        var shrinkers = Enumerable.Range(0, 130).Select(i => registry.Alloc($"s{i}")).ToList();
        Assert.Equal(Enumerable.Range(0, 130), shrinkers.Select(s => s.DebugId));

        shrinkers[70].Free();
        shrinkers[5].Free();

        Assert.Equal(5, registry.Alloc("x").DebugId);
        Assert.Equal(70, registry.Alloc("y").DebugId);
        Assert.Equal(130, registry.Alloc("z").DebugId);
    }

    [Fact]
    public void DebugId_SeparateRegistries_CountIndependently()
    {
        Assert.Equal(0, new ShrinkerRegistry().Alloc("a").DebugId);
        Assert.Equal(0, new ShrinkerRegistry().Alloc("a").DebugId);
    }
}

/// <summary>
/// <see cref="Shrinker.GetStatistics"/>: counters, time in callbacks, and a running callback made visible.
/// Waits use timeouts so that a broken test fails instead of hanging; no sleeps are used to synchronise.
/// </summary>
public class ShrinkerStatisticsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void GetStatistics_TwoPasses_CountsPassesScannedAndFreed()
    {
        // Priority 0, 1000 objects, batch 100: 20 calls of 100 per pass; each frees half and reports 100 scanned.
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("stats");
        s.Batch = 100;
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) => sc.NrToScan / 2;
        s.Register();

        registry.ShrinkSlab(0, null, 0);
        registry.ShrinkSlab(0, null, 0);

        ShrinkerStatistics stats = s.GetStatistics();
        Assert.Equal(2, stats.Passes);
        Assert.Equal(4000, stats.ObjectsScanned);
        Assert.Equal(2000, stats.ObjectsFreed);
        Assert.Equal(0, stats.CallbackErrors);
        Assert.Equal(0, stats.ContractViolations);
        Assert.Equal(0, stats.Deferred);
        Assert.Equal(0, stats.RunningCallbacks);
        Assert.Null(stats.RunningFor);
    }

    [Fact]
    public void GetStatistics_PassWithNothingToScan_CountsPassOnly()
    {
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("idle");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 0;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) => sc.NrToScan;
        s.Register();

        registry.ShrinkSlab(0, null, 0);

        ShrinkerStatistics stats = s.GetStatistics();
        Assert.Equal(1, stats.Passes);
        Assert.Equal(0, stats.ObjectsScanned);
        Assert.Equal(0, stats.ObjectsFreed);
    }

    [Fact]
    public void GetStatistics_Deferred_IsSummedOverNodes()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        Shrinker s = registry.Alloc("numa", ShrinkerFlags.NodeAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl sc) => sc.Node == 0 ? 1000 : 2000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        s.Register();

        registry.ShrinkSlab(0, null, 0); // defers 2 * 1000
        registry.ShrinkSlab(1, null, 0); // defers 2 * 2000

        Assert.Equal(2000, s.GetDeferred(0));
        Assert.Equal(4000, s.GetDeferred(1));
        Assert.Equal(6000, s.GetStatistics().Deferred);
    }

    [Fact]
    public void GetStatistics_DeferredSummedOverNodesAboveLongMax_SaturatesNotNegative()
    {
        // Counts of long.MaxValue are taken as long.MaxValue / 8, so each node defers 2 * (long.MaxValue / 8), about
        // long.MaxValue / 4. Over 5 nodes the sum no longer fits: like every count in the library it must saturate.
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 5 });
        Shrinker s = registry.Alloc("huge", ShrinkerFlags.NodeAware);
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => long.MaxValue;
        s.ScanObjects = (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        s.Register();

        for (int node = 0; node < 5; node++)
        {
            registry.ShrinkSlab(node, null, 0);
            Assert.Equal(2 * (long.MaxValue / 8), s.GetDeferred(node));
        }

        Assert.Equal(long.MaxValue, s.GetStatistics().Deferred);
    }

    [Fact]
    public void GetStatistics_FreedAndScannedAcrossPassesAboveLongMax_SaturateNotNegative()
    {
        // A scan that reports long.MaxValue freed and scanned: within a pass the sums saturate; across passes the
        // statistics must too.
        var registry = new ShrinkerRegistry();
        Shrinker s = registry.Alloc("liar");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            sc.NrScanned = long.MaxValue;
            return long.MaxValue;
        };
        s.Register();

        Assert.Equal(long.MaxValue, registry.ShrinkSlab(0, null, 0));
        Assert.Equal(long.MaxValue, registry.ShrinkSlab(0, null, 0));

        ShrinkerStatistics stats = s.GetStatistics();
        Assert.Equal(2, stats.Passes);
        Assert.Equal(long.MaxValue, stats.ObjectsFreed);
        Assert.Equal(long.MaxValue, stats.ObjectsScanned);
    }

    [Fact]
    public void GetStatistics_ClockAdvancedInsideCallbacks_TimeInCallbacksIsThatTime()
    {
        // One count (3 ms) and two scans (5 ms each) per pass: 13 ms per pass.
        var clock = new FakeTimeProvider();
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { TimeProvider = clock });
        Shrinker s = registry.Alloc("timed");
        s.Batch = 1000;
        s.CountObjects = (Shrinker _, ref ShrinkControl _) =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(3));
            return 1000;
        };
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(5));
            return sc.NrToScan;
        };
        s.Register();

        registry.ShrinkSlab(0, null, 0);
        AssertClose(TimeSpan.FromMilliseconds(13), s.GetStatistics().TimeInCallbacks);

        clock.Advance(TimeSpan.FromSeconds(10)); // time outside callbacks is not counted
        registry.ShrinkSlab(0, null, 0);
        AssertClose(TimeSpan.FromMilliseconds(26), s.GetStatistics().TimeInCallbacks);
    }

    [Fact]
    public void GetStatistics_CallbackBlocked_ShowsRunningCallbackAndForHowLong()
    {
        RunBlockedScanAndCheckRunningFor(new FakeTimeProvider());
    }

    [Fact]
    public void GetStatistics_CallbackBlockedWithClockNearZero_ShowsRunningCallbackAndForHowLong()
    {
        // The same with a clock whose timestamps are small (like the system's monotonic clock soon after boot).
        RunBlockedScanAndCheckRunningFor(new FakeTimeProvider(new DateTimeOffset(1, 1, 2, 0, 0, 0, TimeSpan.Zero)));
    }

    private static void RunBlockedScanAndCheckRunningFor(FakeTimeProvider clock)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { TimeProvider = clock });
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        bool gateOpened = false;
        Shrinker s = registry.Alloc("blocked");
        s.Batch = 1000;
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => 1000;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            entered.Set();
            gateOpened = gate.Wait(Timeout);
            return sc.NrToScan;
        };
        s.Register();

        long freed = 0;
        var pass = new Thread(() => freed = registry.ShrinkSlab(0, null, 0)) { IsBackground = true };
        pass.Start();
        try
        {
            Assert.True(entered.Wait(Timeout, TestContext.Current.CancellationToken), "The scan callback was not entered.");
            clock.Advance(TimeSpan.FromSeconds(5));

            ShrinkerStatistics running = s.GetStatistics();

            Assert.Equal(1, running.RunningCallbacks);
            Assert.Equal(TimeSpan.FromSeconds(5), running.RunningFor);
        }
        finally
        {
            gate.Set();
        }

        Assert.True(pass.Join(Timeout), "The pass did not end after the gate opened.");
        Assert.True(gateOpened);
        ShrinkerStatistics done = s.GetStatistics();
        Assert.Equal(0, done.RunningCallbacks);
        Assert.Null(done.RunningFor);
        Assert.Equal(2000, freed);
        AssertClose(TimeSpan.FromSeconds(5), done.TimeInCallbacks);
    }

    private static void AssertClose(TimeSpan expected, TimeSpan actual) =>
        Assert.True(Math.Abs((expected - actual).Ticks) <= 1, $"Expected {expected}, got {actual}.");
}
