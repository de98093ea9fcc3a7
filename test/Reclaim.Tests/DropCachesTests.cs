namespace Reclaim.Tests;

/// <summary>
/// <see cref="ShrinkerRegistry.DropCaches(CancellationToken)"/>: rounds of priority-0 passes over every node until a
/// round frees little, by the doubling rule <c>(freed &gt;&gt; shift++) &gt; 1</c> (kernel-shrinker.md section 4).
/// </summary>
public class DropCachesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // A round that frees F is followed by another while F >> (round - 1) > 1: floor(log2 F) + 1 rounds in all
    // (1 round for F <= 1). The old rule, "while freed > 10", would never end for F = 11.
    [Theory]
    [InlineData(0L, 1, 0L)]
    [InlineData(1L, 1, 1L)]
    [InlineData(2L, 2, 4L)]
    [InlineData(3L, 2, 6L)]
    [InlineData(4L, 3, 12L)]
    [InlineData(11L, 4, 44L)]
    [InlineData(2000L, 11, 22_000L)]
    [InlineData(long.MaxValue, 63, long.MaxValue)] // the total saturates
    public void DropCaches_ShrinkerFreesFixedAmountEveryRound_StopsByDoublingRule(long perRound, int expectedRounds, long expectedTotal)
    {
        var registry = new ShrinkerRegistry();
        var probe = new Probe(registry, "refill", count: _ => 1000, scan: (call, _) => call == 0 ? perRound : Shrinker.Stop);

        long total = registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(expectedRounds, probe.CountNodes.Count);
        Assert.Equal(expectedTotal, total);
    }

    [Fact]
    public void DropCaches_WithoutToken_SameRoundsAsWithToken()
    {
        var registry = new ShrinkerRegistry();
        var probe = new Probe(registry, "refill", count: _ => 1000, scan: (call, _) => call == 0 ? 2000 : Shrinker.Stop);

#pragma warning disable xUnit1051 // The overload without a token is what this test is about.
        long total = registry.DropCaches();
#pragma warning restore xUnit1051

        Assert.Equal(11, probe.CountNodes.Count);
        Assert.Equal(22_000, total);
    }

    [Fact]
    public void DropCaches_ShrinkerFreesEverythingAskedAndRefills_EndsAndReturnsTotal()
    {
        // Always 1,000,000 objects; each priority-0 pass asks for min(2,000,000, 2 * 1,000,000) = 2,000,000
        // (15,625 batches of 128) and frees them all. floor(log2 2,000,000) = 20: 21 rounds.
        var registry = new ShrinkerRegistry();
        var probe = new Probe(registry, "busy", count: _ => 1_000_000, scan: (_, n) => n);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Timeout); // a DropCaches that never ends fails with OperationCanceledException instead of hanging

        long total = registry.DropCaches(cts.Token);

        Assert.Equal(21, probe.CountNodes.Count);
        Assert.Equal(21 * 15_625, probe.ScanCalls);
        Assert.Equal(21 * 2_000_000L, total);
    }

    [Fact]
    public void DropCaches_CacheThatEmpties_AsksAtPriority0AndStopsWhenNothingIsFreed()
    {
        // Round 1: total_scan = 2 * 1000 (priority 0), batch 1000: asked 1000 twice, frees 1000 then 0.
        // Round 2: count 0, nothing freed, 0 >> 1 = 0: stop.
        var registry = new ShrinkerRegistry();
        long objects = 1000;
        var probe = new Probe(
            registry,
            "drains",
            count: _ => objects,
            scan: (_, n) =>
            {
                long taken = Math.Min(n, objects);
                objects -= taken;
                return taken;
            },
            batch: 1000);

        long total = registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(1000, total);
        Assert.Equal(0, objects);
        Assert.Equal(2, probe.CountNodes.Count);
        Assert.Equal([1000L, 1000L], probe.Requests);
    }

    [Fact]
    public void DropCaches_NoShrinkers_ReturnsZero()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 3 });

        Assert.Equal(0, registry.DropCaches(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void DropCaches_NodeCount3_CallsEveryNodeEveryRound()
    {
        // The node-aware shrinker frees 1000 per node: 3000 per round; floor(log2 3000) = 11: 12 rounds.
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 3 });
        var numa = new Probe(registry, "numa", count: _ => 1000, scan: (call, _) => call == 0 ? 1000 : Shrinker.Stop, flags: ShrinkerFlags.NodeAware);
        var flat = new Probe(registry, "flat", count: _ => 0, scan: (_, n) => n);

        long total = registry.DropCaches(TestContext.Current.CancellationToken);

        Assert.Equal(12 * 3000, total);
        int[] expectedNodes = [.. Enumerable.Range(0, 12).SelectMany(_ => new[] { 0, 1, 2 })];
        Assert.Equal(expectedNodes, numa.CountNodes);

        // A shrinker that is not node-aware is run once per node pass, always with node 0.
        Assert.Equal(Enumerable.Repeat(0, 36), flat.CountNodes);

        // Deferred work is kept per node: each node pass asked 2000 (priority 0) and scanned 128 before Stop.
        for (int node = 0; node < 3; node++)
        {
            Assert.Equal(2000, numa.Shrinker.GetDeferred(node));
        }
    }

    [Fact]
    public void DropCaches_TokenAlreadyCancelled_ThrowsBeforeAnyCallback()
    {
        var registry = new ShrinkerRegistry();
        var probe = new Probe(registry, "idle", count: _ => 1000, scan: (_, n) => n);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        OperationCanceledException ex = Assert.Throws<OperationCanceledException>(() => registry.DropCaches(cts.Token));

        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Empty(probe.CountNodes);
    }

    [Fact]
    public void DropCaches_CancelledDuringRound2_ThrowsBeforeNextNodePass()
    {
        // Node passes run 0,1,2 | 0,1,... The shrinker cancels during the 5th (round 2, node 1); the check before
        // node 2 throws.
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 3 });
        using var cts = new CancellationTokenSource();
        var probe = new Probe(
            registry,
            "cancels",
            count: _ => 1000,
            scan: (call, _) => call == 0 ? 1000 : Shrinker.Stop,
            flags: ShrinkerFlags.NodeAware);
        probe.OnCount = calls =>
        {
            if (calls == 5)
            {
                cts.Cancel();
            }
        };

        Assert.Throws<OperationCanceledException>(() => registry.DropCaches(cts.Token));

        Assert.Equal([0, 1, 2, 0, 1], probe.CountNodes);
    }

    [Fact]
    public void DropCaches_GrowingShrinkerAndCancellation_CancellationWins()
    {
        // Each round the cache has doubled and the whole of it is freed, so every round frees about twice the last and
        // the doubling rule would keep going; the token, cancelled during the 3rd round, ends it there. The growth stops
        // at 2^30 objects (one call per pass thanks to the large batch), so if cancellation were ignored the test
        // would end (about 32 rounds) and fail rather than hang.
        var registry = new ShrinkerRegistry();
        using var cts = new CancellationTokenSource();
        long objects = 1000;
        var probe = new Probe(registry, "grows", count: _ => objects = Math.Min(objects * 2, 1L << 30), scan: (_, n) => n, batch: int.MaxValue);
        probe.OnCount = calls =>
        {
            if (calls == 3)
            {
                cts.Cancel();
            }
        };

        Assert.Throws<OperationCanceledException>(() => registry.DropCaches(cts.Token));

        Assert.Equal(3, probe.CountNodes.Count);
        Assert.Equal(3, probe.ScanCalls);
    }

    /// <summary>A registered shrinker that logs what each pass asked.</summary>
    private sealed class Probe
    {
        private int _call;

        public Probe(
            ShrinkerRegistry registry,
            string name,
            Func<int, long> count,
            Func<int, long, long> scan,
            int batch = 0,
            ShrinkerFlags flags = ShrinkerFlags.None)
        {
            Shrinker = registry.Alloc(name, flags);
            Shrinker.Batch = batch;
            Shrinker.CountObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                _call = 0;
                CountNodes.Add(sc.Node);
                OnCount?.Invoke(CountNodes.Count);
                return count(sc.Node);
            };
            Shrinker.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
            {
                ScanCalls++;
                if (CountNodes.Count == 1)
                {
                    Requests.Add(sc.NrToScan); // the first pass's requests
                }

                return scan(_call++, sc.NrToScan);
            };
            Shrinker.Register();
        }

        public Shrinker Shrinker { get; }

        public List<int> CountNodes { get; } = [];

        public List<long> Requests { get; } = [];

        public long ScanCalls { get; private set; }

        public Action<int>? OnCount { get; set; }
    }
}
