using System.Runtime;
using System.Runtime.CompilerServices;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Soak;

// The checks while running (world paused), the memory samples, and what the run leaves behind.
internal sealed partial class SoakRun
{
    /// <summary>Freed holders are kept this long (seconds) for the lifecycle checker, then dropped (a sample tracked for leaks).</summary>
    private const double KeepFreedSeconds = 2;

    private int _droppedHolders;

    /// <summary>
    /// How long (seconds) after being dropped a tracked object must be collectable in the samples: freed holders are
    /// kept <see cref="KeepFreedSeconds"/> plus up to a check interval, and a freed shrinker keeps the shrinkers freed
    /// after it reachable through its stale list link (see README), so two intervals of each more.
    /// </summary>
    private double UnreleasedAge => KeepFreedSeconds + 1 + (2 * _options.CheckInterval) + (2 * _options.SampleInterval);

    /// <summary>Pauses the world and runs every checker; re-checks bit mismatches after letting passes finish.</summary>
    private void CheckInvariants()
    {
        long started = Environment.TickCount64;
        if (!Gate.TryPause(TimeSpan.FromSeconds(60)))
        {
            Violations.Add("stuck", "The world could not be paused within 60 s: a harness operation or callback is stuck.");
            _stop.Cancel();
            return;
        }

        List<BitMismatch> mismatches;
        try
        {
            mismatches = CheckPaused();
        }
        finally
        {
            Gate.Resume();
        }

        Interlocked.Increment(ref _pauses);
        _longestPauseMs = Math.Max(_longestPauseMs, Environment.TickCount64 - started);

        // A pass that cleared a bit (count said Empty) and is about to count again, held at the gate by the pause, is a
        // legitimate clear bit over listed items. Let passes run, then look again: a real loss stays.
        for (int round = 0; round < 3 && mismatches.Count > 0; round++)
        {
            Thread.Sleep(50);
            if (!Gate.TryPause(TimeSpan.FromSeconds(60)))
            {
                Violations.Add("stuck", "The world could not be paused within 60 s to re-check bits.");
                _stop.Cancel();
                return;
            }

            try
            {
                mismatches = Invariants.StillMismatched(mismatches);
            }
            finally
            {
                Gate.Resume();
            }
        }

        foreach (BitMismatch m in mismatches)
        {
            Violations.Add("bits", $"Group '{m.Group.Path}' node {m.Node} lists {m.Items} item(s) of '{m.Holder.Shrinker}' but its bit is clear (checked 4 times, 50 ms apart).");
        }
    }

    /// <summary>The checks proper, with nothing of the harness moving.</summary>
    private List<BitMismatch> CheckPaused()
    {
        int checks = 0;
        SoakHolder[] holders = [.. _holders.Keys];
        CacheSlot[] slots = Slots();
        Shrinker[] cacheShrinkers = [.. slots.Select(s => s.Cache.Shrinker)];
        checks += Invariants.CheckLifecycle(Registry, holders, cacheShrinkers, Violations);
        checks += Invariants.CheckListContents(holders, Violations);
        checks += ListLruProbe.Check(holders, Violations);
        checks += Invariants.CheckCharges(Ledger, g => g.IsRoot ? CacheBytes(slots) : 0, Violations, attempts: 200);
        foreach (CacheSlot slot in slots)
        {
            checks++;
            Invariants.CheckCacheCharges(slot.Cache.Shrinker.Name, slot.Group, () => slot.Cache.GetStatistics().Bytes, Violations);
        }

        checks++;
        Invariants.CheckCacheCharges("all caches", CachesRoot, () => CacheBytes(slots), Violations);

        MemoryGroup[] groups = [.. Ledger.Handles.Select(h => h.Group).OfType<MemoryGroup>()];
        List<BitMismatch> mismatches = Invariants.FindBitMismatches(holders, groups, Registry.NodeCount, ref checks);

        // Bookkeeping while nothing moves: retire the handles of offline groups, drop long-freed holders.
        foreach (MemoryGroup retired in Ledger.RetireOffline())
        {
            Leaks.Track(retired, $"offline group '{retired.Path}'", Now);
        }

        foreach ((SoakHolder holder, double freedAt) in _holders)
        {
            if (holder.Belief == Belief.Freed && freedAt >= 0 && Now - freedAt > KeepFreedSeconds)
            {
                _holders.TryRemove(holder, out _);
                if (_droppedHolders++ % 16 == 0)
                {
                    Leaks.Track(holder.Shrinker, $"freed shrinker '{holder.Shrinker.Name}'", Now);
                    Leaks.Track(holder.Lru, $"the lists of freed shrinker '{holder.Shrinker.Name}'", Now);
                }
            }
        }

        Interlocked.Add(ref _checks, checks);
        return mismatches;
    }

    private static long CacheBytes(CacheSlot[] slots) => slots.Sum(s => s.Cache.GetStatistics().Bytes);

    /// <summary>A full blocking compacting collection, then the footprint.</summary>
    private void TakeSample()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long heap = GC.GetTotalMemory(forceFullCollection: false);
        long charged = Registry.Root.Usage;
        var values = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["heap_mb"] = heap / (1024.0 * 1024.0),
            ["charged_mb"] = charged / (1024.0 * 1024.0),
            ["uncharged_mb"] = Math.Max(0, heap - charged) / (1024.0 * 1024.0),
            ["shrinkers"] = Registry.RegisteredCount,
            ["groups"] = CountOnlineGroups(Registry.Root),
            ["id_units"] = GroupBits.UnitCount(Registry),
            ["fds"] = ProcessCounts.OpenFiles(),
            ["threads"] = ProcessCounts.Threads(),
            ["unreleased"] = Leaks.CountUnreleased(Now - UnreleasedAge),
        };
        _samples.Add(new Sample(Now, values));
    }

    private static int CountOnlineGroups(MemoryGroup root)
    {
        int count = 0;
        var stack = new Stack<MemoryGroup>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            MemoryGroup group = stack.Pop();
            count++;
            foreach (MemoryGroup child in group.Children)
            {
                stack.Push(child);
            }
        }

        return count;
    }

    /// <summary>
    /// After the workers stopped (each freed its holders and returned its charges): dispose the caches, take every group
    /// offline, and check that nothing is left: no shrinker registered, no byte charged, no group but the root, every
    /// dropped object collected, the endpoint agreeing.
    /// </summary>
    private void TearDownAndCheck()
    {
        TearDown();
        CheckNothingLeft();
        CheckAllCollected();
    }

    /// <summary>The last lifecycle and charge checks, then everything dropped. Not inlined: no local of it may outlive it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TearDown()
    {
        foreach ((SoakHolder holder, _) in _holders)
        {
            if (holder.Belief != Belief.Freed)
            {
                Violations.Add("teardown", $"'{holder.Shrinker}' was not freed by its worker ({holder.Belief}).");
            }
        }

        int checks = Invariants.CheckLifecycle(Registry, [.. _holders.Keys], [.. Slots().Select(s => s.Cache.Shrinker)], Violations);
        checks += Invariants.CheckCharges(Ledger, g => g.IsRoot ? CacheBytes(Slots()) : 0, Violations, attempts: 200);
        lock (_slotGate)
        {
            foreach (CacheSlot slot in _slots)
            {
                RetireCache(slot);
            }

            Array.Clear(_slots);
        }

        LedgerRoot.Group!.Offline();
        CachesRoot.Offline();
        foreach (MemoryGroup retired in Ledger.RetireOffline())
        {
            Leaks.Track(retired, $"offline group '{retired.Path}'", Now);
        }

        _holders.Clear();
        Interlocked.Add(ref _checks, checks);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckNothingLeft()
    {
        int checks = 6;
        if (Registry.RegisteredCount != 0 || Registry.GetShrinkers().Length != 0)
        {
            Violations.Add("leak", $"After every shrinker was freed the registry still counts {Registry.RegisteredCount} and lists {string.Join(", ", Registry.GetShrinkers().Select(s => s.ToString()))}.");
        }

        if (Registry.Root.Usage != 0)
        {
            Violations.Add("charges", $"After everything was uncharged the root's usage is {Registry.Root.Usage} bytes, not 0.");
        }

        if (Ledger.RootHandle.Net != 0 || Ledger.TotalNet() != 0)
        {
            Violations.Add("charges", $"The ledger does not balance at the end: {Ledger.TotalNet()} bytes net.");
        }

        if (Registry.Root.Children.Count != 0)
        {
            Violations.Add("leak", $"Groups still online at the end: {string.Join(", ", Registry.Root.Children.Select(g => g.Path))}.");
        }

        Counters.Add("final.id-units", GroupBits.UnitCount(Registry));
        Counters.Add("final.id-units-at-start", _unitsAtStart);
        Counters.Add("final.fds", ProcessCounts.OpenFiles());
        Counters.Add("final.fds-at-start", _fdsAtStart);

        // The endpoint sees the same.
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using ReclaimDiagnosticClient client = ReclaimDiagnosticClient.ConnectAsync(SocketPath, cts.Token).GetAwaiter().GetResult();
            StatResult stat = client.StatAsync(cts.Token).GetAwaiter().GetResult();
            checks++;
            if (stat.Shrinkers != 0 || stat.Groups != 1 || stat.ChargedBytes != 0)
            {
                Violations.Add("leak", $"The endpoint's stat at the end: {stat.Shrinkers} shrinkers, {stat.Groups} groups, {stat.ChargedBytes} bytes charged (want 0, 1, 0).");
            }
        }
        catch (Exception ex) when (ex is ReclaimDiagnosticException or OperationCanceledException)
        {
            Violations.Add("endpoint", $"The final stat failed: {ex.Message}");
        }

        Interlocked.Add(ref _checks, checks);
    }

    /// <summary>Every object the harness dropped (the tracked sample) must be collectable now that nothing of the harness holds it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckAllCollected()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        List<string> unreleased = Leaks.Unreleased(double.MaxValue);
        if (unreleased.Count > 0)
        {
            string kinds = string.Join(", ", unreleased.GroupBy(u => u.Split('\'')[0].Trim()).Select(g => $"{g.Count()} {g.Key}"));
            Violations.Add("leak", $"{unreleased.Count} dropped object(s) still alive after full collections at the end ({kinds}), such as: {string.Join("; ", unreleased.Take(5))}.");
        }

        Counters.Add("final.unreleased", unreleased.Count);
        if (unreleased.Count > 0 && Environment.GetEnvironmentVariable("RECLAIM_SOAK_HOLD_ON_LEAK") is { Length: > 0 } hold)
        {
            // For finding what keeps them: attach a heap analyser to this process meanwhile.
            Console.WriteLine($"soak holding pid={Environment.ProcessId} seconds={hold} (RECLAIM_SOAK_HOLD_ON_LEAK)");
            Thread.Sleep(TimeSpan.FromSeconds(int.Parse(hold, System.Globalization.CultureInfo.InvariantCulture)));
        }

        GC.KeepAlive(Registry);
        GC.KeepAlive(Reclaimer);
        GC.KeepAlive(Server);
        Interlocked.Increment(ref _checks);
    }
}
