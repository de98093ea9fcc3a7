using System.Globalization;
using Reclaim.Caching;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;
using Reclaim.Pressure;

namespace Reclaim.Soak;

// The worker threads: shrinkers registered and freed, groups created and taken offline, caches filled, reclaim from
// every source, the endpoint queried.
internal sealed partial class SoakRun
{
    private const int HoldersPerWorker = 24;

    /// <summary>Seconds between replacing a cache (a new cache and group; the old disposed and taken offline): about 20 per run.</summary>
    private double CacheReplaceInterval => Math.Max(1, _options.Seconds / 20.0);

    /// <summary>Seconds between whole-registry drops (the harness's, and the endpoint's): a sixth of the run, at most 15 s.</summary>
    private double DropInterval => Math.Min(15, _options.Seconds / 6.0);

    /// <summary>
    /// Seconds between explicit pressure signals to the reclaimer (each makes a background run down to the target
    /// watermark): rare enough that the caches also reach the start watermark and the reclaimer's own sampling reclaims.
    /// </summary>
    private const double SignalInterval = 3;

    private void StartWorkers()
    {
        (string Kind, Action<Random> Body)[] workers =
        [
            ("holders", HolderWorker),
            ("holders", HolderWorker),
            ("charges", ChargeWorker),
            ("groups", GroupWorker),
            ("cache", CacheWorker),
            ("cache", CacheWorker),
            ("reclaim", ReclaimWorker),
            ("endpoint", random => EndpointWorker(random).GetAwaiter().GetResult()),
        ];
        for (int i = 0; i < workers.Length; i++)
        {
            if (!_options.Skip.Contains(workers[i].Kind))
            {
                StartWorker($"soak {workers[i].Kind} {i}", i, workers[i].Body);
            }
        }
    }

    private CacheSlot[] Slots()
    {
        lock (_slotGate)
        {
            return [.. _slots];
        }
    }

    private CacheSlot NewCache()
    {
        int generation = Interlocked.Increment(ref _cacheGeneration);
        MemoryGroup group = CachesRoot.CreateChild($"c{generation}");
        var cache = new ShrinkableCache<int, byte[]>(new ShrinkableCacheOptions<int, byte[]>
        {
            Name = $"soak-cache-{generation}",
            Registry = Registry,
            Group = group,
            Weigher = static (_, value) => value.Length + 64,
        });
        Counters.Add("ops.cache-created");
        return new CacheSlot(cache, group, generation);
    }

    /// <summary>Disposes a cache (its entries uncharged, its shrinker freed) and takes its groups offline.</summary>
    private void RetireCache(CacheSlot slot)
    {
        slot.Cache.Dispose();
        if (slot.Cache.Shrinker.State != ShrinkerState.Freed)
        {
            Violations.Add("refcount", $"A disposed cache's shrinker '{slot.Cache.Shrinker}' is {slot.Cache.Shrinker.State}.");
        }

        if (slot.Group.Usage != 0)
        {
            Violations.Add("charges", $"Disposed cache '{slot.Cache.Shrinker.Name}' left {slot.Group.Usage} bytes charged to '{slot.Group.Path}'.");
        }

        slot.Group.Offline();
        Leaks.Track(slot.Cache, $"disposed cache '{slot.Cache.Shrinker.Name}'", Now);
        Leaks.Track(slot.Group, $"offline cache group '{slot.Group.Path}'", Now);
        Counters.Add("ops.cache-disposed");
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private GroupHandle PickHandle(Random random)
    {
        GroupHandle[] handles = Ledger.Handles;
        return handles[random.Next(handles.Length)];
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Shrinkers: allocate, register (some never), fill, use, free; a pool of up to 24 per worker.

    private void HolderWorker(Random random)
    {
        var pool = new List<SoakHolder>();
        int op = 0;
        while (!Stopping)
        {
            double r = random.NextDouble();
            if ((r < 0.12 && pool.Count < HoldersPerWorker) || pool.Count == 0)
            {
                SoakHolder? holder = NewHolder(random);
                if (holder is not null)
                {
                    pool.Add(holder);
                }
            }
            else if (r < 0.24)
            {
                int index = random.Next(pool.Count);
                SoakHolder holder = pool[index];
                pool.RemoveAt(index);
                FreeHolder(holder);
            }
            else if (r < 0.85)
            {
                SoakHolder holder = Pick(random, pool);
                int count = random.Next(1, 33);
                Gate.Enter();
                try
                {
                    using SourceScope.Scope scope = SourceScope.Enter(ReclaimSource.Charge);
                    for (int i = 0; i < count; i++)
                    {
                        bool added = holder.AddItem(PickHandle(random), random.Next(256, 4097), random.Next(Registry.NodeCount));
                        Counters.Add(added ? "ops.item-added" : "ops.item-refused");
                    }
                }
                finally
                {
                    Gate.Exit();
                }
            }
            else
            {
                SoakHolder holder = Pick(random, pool);
                Gate.Enter();
                try
                {
                    int n = 0;
                    foreach (SoakItem item in holder.Items.Keys)
                    {
                        if (n++ >= 8)
                        {
                            break;
                        }

                        if (random.Next(2) == 0)
                        {
                            Counters.Add(holder.RemoveItem(item) ? "ops.item-removed" : "ops.item-remove-lost");
                        }
                        else
                        {
                            Counters.Add(holder.Lru.Rotate(item) ? "ops.item-rotated" : "ops.item-rotate-lost");
                        }
                    }
                }
                finally
                {
                    Gate.Exit();
                }
            }

            if (++op % 16 == 0)
            {
                Thread.Sleep(1);
            }
        }

        foreach (SoakHolder holder in pool)
        {
            FreeHolder(holder);
        }
    }

    private SoakHolder? NewHolder(Random random)
    {
        ShrinkerFlags flags = random.Next(8) switch
        {
            0 => ShrinkerFlags.None,
            1 => ShrinkerFlags.NodeAware,
            2 or 3 => ShrinkerFlags.GroupAware | ShrinkerFlags.NodeAware,
            _ => ShrinkerFlags.GroupAware,
        };
        var holder = new SoakHolder(Registry, $"soak-holder-{Interlocked.Increment(ref _holderSeq)}", flags, Ledger, Gate, Violations, Counters, seeks: random.Next(0, 5), batch: random.Next(4) == 0 ? 0 : random.Next(1, 256));
        _holders[holder] = -1;
        Counters.Add("ops.alloc");
        if (random.Next(10) == 0)
        {
            // Allocated and freed without ever being registered.
            FreeHolder(holder);
            Counters.Add("ops.free-unregistered");
            return null;
        }

        Gate.Run(holder.Register);
        Counters.Add("ops.register");
        return holder;
    }

    private void FreeHolder(SoakHolder holder)
    {
        holder.Free();
        if (_options.HoldFreed)
        {
            Interlocked.CompareExchange(ref _heldFreed, holder.Shrinker, null);
        }

        _holders[holder] = Now;
        Counters.Add("ops.free");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Explicit charges and uncharges to groups (some with High or Max).

    private void ChargeWorker(Random random)
    {
        var held = new List<(GroupHandle Handle, long Bytes)>();
        while (!Stopping)
        {
            Gate.Enter();
            try
            {
                using SourceScope.Scope scope = SourceScope.Enter(ReclaimSource.Charge);
                if (held.Count < 128 && random.Next(2) == 0)
                {
                    GroupHandle handle = PickHandle(random);
                    long bytes = random.Next(1, 65537);
                    if (Ledger.TryCharge(handle, bytes))
                    {
                        held.Add((handle, bytes));
                        Counters.Add("ops.charge");
                    }
                    else
                    {
                        Counters.Add("ops.charge-refused");
                    }
                }
                else if (held.Count > 0)
                {
                    int index = random.Next(held.Count);
                    (GroupHandle handle, long bytes) = held[index];
                    held[index] = held[^1];
                    held.RemoveAt(held.Count - 1);
                    Ledger.Uncharge(handle, bytes);
                    Counters.Add("ops.uncharge");
                }
            }
            finally
            {
                Gate.Exit();
            }

            Thread.Sleep(random.Next(0, 3));
        }

        Gate.Run(() =>
        {
            foreach ((GroupHandle handle, long bytes) in held)
            {
                Ledger.Uncharge(handle, bytes);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Groups: nested children created (some with High or Max), limits changed, subtrees taken offline; caches replaced.

    private void GroupWorker(Random random)
    {
        while (!Stopping)
        {
            Gate.Enter();
            try
            {
                int choice = random.Next(100);
                if (choice < 45)
                {
                    LedgerGroupStep(random);
                }
                else if (choice < 85)
                {
                    CacheGroupStep(random);
                }
                else if (choice < 97)
                {
                    ChangeLimits(random);
                }
                else if (Now - _lastCacheReplaced > CacheReplaceInterval)
                {
                    _lastCacheReplaced = Now;
                    ReplaceCache(random);
                }
            }
            finally
            {
                Gate.Exit();
            }

            Thread.Sleep(random.Next(2, 20));
        }
    }

    private void LedgerGroupStep(Random random)
    {
        GroupHandle[] handles = Ledger.Handles;
        int online = handles.Count(h => h.Group is { IsOnline: true });
        if (online < MaxLedgerGroups && random.Next(3) != 0)
        {
            GroupHandle parentHandle = random.Next(3) == 0 ? LedgerRoot : PickHandle(random);
            MemoryGroup? parent = parentHandle.Group;
            if (parent is null || !parent.IsOnline || parent.IsRoot || Depth(parent) >= 4)
            {
                parent = LedgerRoot.Group!;
            }

            MemoryGroup child;
            try
            {
                child = parent.CreateChild($"g{Interlocked.Increment(ref _groupSeq)}");
            }
            catch (InvalidOperationException)
            {
                Counters.Add("ops.group-create-offline-parent"); // The parent went offline meanwhile.
                return;
            }

            bool limited = false;
            int kind = random.Next(10);
            if (kind < 3)
            {
                child.High = random.Next(1, 5) * 1024L * 1024;
                limited = true;
            }
            else if (kind == 3)
            {
                child.Max = random.Next(4, 9) * 1024L * 1024;
                child.High = child.Max / 2;
                limited = true;
            }

            Ledger.Track(child, limited);
            Counters.Add("ops.group-created");
        }
        else
        {
            GroupHandle handle = PickHandle(random);
            if (handle.Group is { IsOnline: true, IsRoot: false } group && !ReferenceEquals(handle, LedgerRoot))
            {
                group.Offline();
                Counters.Add("ops.group-offline");
            }
        }
    }

    private static int Depth(MemoryGroup group)
    {
        int depth = 0;
        for (MemoryGroup? g = group.Parent; g is not null; g = g.Parent)
        {
            depth++;
        }

        return depth;
    }

    private void CacheGroupStep(Random random)
    {
        CacheSlot slot = Pick(random, Slots());
        MemoryGroup[] children = slot.Children;
        if (children.Length < MaxCacheChildren && random.Next(2) == 0)
        {
            MemoryGroup parent = children.Length > 0 && random.Next(3) == 0 ? Pick(random, children) : slot.Group;
            if (!parent.IsOnline)
            {
                parent = slot.Group;
            }

            MemoryGroup child = parent.CreateChild($"k{Interlocked.Increment(ref _groupSeq)}");
            if (random.Next(4) == 0)
            {
                child.High = random.Next(1, 9) * 1024L * 1024;
            }

            slot.Children = [.. children, child];
            Counters.Add("ops.cache-group-created");
        }
        else if (children.Length > 0)
        {
            MemoryGroup victim = Pick(random, children);
            victim.Offline();
            slot.Children = [.. children.Where(g => g.IsOnline)];
            Counters.Add("ops.cache-group-offline");
        }
    }

    private void ChangeLimits(Random random)
    {
        GroupHandle handle = PickHandle(random);
        if (handle.Group is not { IsOnline: true, IsRoot: false } group || ReferenceEquals(handle, LedgerRoot) || !handle.Limited)
        {
            return;
        }

        try
        {
            group.High = random.Next(3) == 0 ? MemoryGroup.Unlimited : Math.Min(group.Max, random.Next(1, 6) * 1024L * 1024);
            Counters.Add("ops.group-limit-changed");
        }
        catch (ArgumentOutOfRangeException)
        {
            Counters.Add("ops.group-limit-refused");
        }
    }

    private void ReplaceCache(Random random)
    {
        int index = random.Next(CacheCount);
        CacheSlot fresh = NewCache();
        CacheSlot old;
        lock (_slotGate)
        {
            old = _slots[index];
            _slots[index] = fresh;
        }

        RetireCache(old);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Caches filled under the heap limit: values of 1 to 16 KiB over 100,000 keys per cache, many times the limit.

    private void CacheWorker(Random random)
    {
        int op = 0;
        while (!Stopping)
        {
            CacheSlot slot = Pick(random, Slots());
            MemoryGroup[] children = slot.Children;
            MemoryGroup group = children.Length > 0 && random.Next(2) == 0 ? Pick(random, children) : slot.Group;
            int key = random.Next(KeySpace);
            Gate.Enter();
            try
            {
                using SourceScope.Scope scope = SourceScope.Enter(ReclaimSource.Charge);
                int choice = random.Next(1000);
                if (choice < 650)
                {
                    slot.Cache.GetOrAdd(key, static (_, r) => new byte[r.Next(1024, (16 * 1024) + 1)], random, group);
                    Counters.Add("ops.cache-get-or-add");
                }
                else if (choice < 850)
                {
                    Counters.Add(slot.Cache.TryGetValue(key, out _) ? "ops.cache-hit" : "ops.cache-miss");
                }
                else if (choice < 950)
                {
                    slot.Cache.TryRemove(key);
                    Counters.Add("ops.cache-remove");
                }
                else if (choice < 999 || random.Next(100) != 0)
                {
                    slot.Cache.Set(key, new byte[random.Next(1024, (16 * 1024) + 1)], group);
                    Counters.Add("ops.cache-set");
                }
                else
                {
                    slot.Cache.Clear();
                    Counters.Add("ops.cache-clear");
                }
            }
            catch (ObjectDisposedException)
            {
                Counters.Add("ops.cache-disposed-race"); // Replaced and disposed under us: expected.
            }
            catch (ArgumentException) when (!group.IsOnline)
            {
                Counters.Add("ops.cache-offline-group-race");
            }
            finally
            {
                Gate.Exit();
            }

            if (++op % 256 == 0)
            {
                Thread.Yield();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reclaim from every source the harness drives: direct, root and group passes, drop caches, signals.

    private void ReclaimWorker(Random random)
    {
        double lastDrop = 0;
        double lastSignal = 0;
        while (!Stopping)
        {
            Thread.Sleep(random.Next(20, 100));
            Gate.Enter();
            try
            {
                int choice = random.Next(100);
                MemoryGroup? group = PickReclaimGroup(random);
                if (choice < 30)
                {
                    using SourceScope.Scope scope = SourceScope.Enter(ReclaimSource.Direct);
                    try
                    {
                        ReclaimResult result = Reclaimer.Reclaim(random.Next(256, 4097) * 1024L, group);
                        Counters.Add("reclaim.direct.calls");
                        Counters.Add("reclaim.direct.bytes-freed", result.BytesFreed);
                        Counters.Add("reclaim.direct.objects-freed", result.ObjectsFreed);
                    }
                    catch (ArgumentException) when (group is { IsOnline: false })
                    {
                        Counters.Add("reclaim.direct.offline-race");
                    }
                }
                else if (choice < 65)
                {
                    bool root = group is null || random.Next(3) == 0;
                    using SourceScope.Scope scope = SourceScope.Enter(root ? ReclaimSource.RootPass : ReclaimSource.GroupPass);
                    long freed = Registry.ShrinkSlab(random.Next(Registry.NodeCount), root ? null : group, random.Next(0, 13));
                    string name = root ? "root-pass" : "group-pass";
                    Counters.Add($"reclaim.{name}.calls");
                    Counters.Add($"reclaim.{name}.freed", freed);
                }
                else if (choice < 70 && Now - lastDrop > DropInterval)
                {
                    lastDrop = Now;
                    using SourceScope.Scope scope = SourceScope.Enter(ReclaimSource.DropCaches);
                    Counters.Add("reclaim.drop-caches.calls");
                    Counters.Add("reclaim.drop-caches.freed", Registry.DropCaches());
                }
                else if (choice < 85 && Now - lastSignal > SignalInterval)
                {
                    lastSignal = Now;
                    Reclaimer.Signal(random.Next(2) == 0 ? MemoryPressureLevel.Moderate : MemoryPressureLevel.Critical);
                    Counters.Add("reclaim.signals");
                }
                else
                {
                    MemoryUsage usage = Reclaimer.ReadUsage();
                    Counters.Add("reclaim.readings");
                    if (usage.Bytes > Reclaimer.Limit.Bytes)
                    {
                        Counters.Add("reclaim.readings-above-limit");
                    }
                }
            }
            finally
            {
                Gate.Exit();
            }
        }
    }

    private MemoryGroup? PickReclaimGroup(Random random)
    {
        int choice = random.Next(4);
        if (choice == 0)
        {
            return null;
        }

        if (choice == 1)
        {
            CacheSlot slot = Pick(random, Slots());
            MemoryGroup[] children = slot.Children;
            return children.Length > 0 && random.Next(2) == 0 ? Pick(random, children) : slot.Group;
        }

        return PickHandle(random).Group;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The endpoint, queried concurrently through the client: every command, connections opened and closed.

    private async Task EndpointWorker(Random random)
    {
        ShrinkerInfo[] shrinkers = [];
        GroupInfo[] groups = [];
        double lastDrop = 0;
        while (!Stopping)
        {
            ReclaimDiagnosticClient client;
            try
            {
                client = await ReclaimDiagnosticClient.ConnectAsync(SocketPath, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Counters.Add("endpoint.connections");
            await using (client)
            {
                for (int request = 0; request < 50 && !Stopping; request++)
                {
                    int choice = random.Next(100);
                    string command = choice switch
                    {
                        < 15 => "list",
                        < 25 => "stat",
                        < 35 => "groups",
                        < 60 => "count",
                        < 85 => "scan",
                        < 90 => "set-group",
                        < 95 => "drop-caches",
                        _ => "version",
                    };
                    try
                    {
                        switch (command)
                        {
                            case "list":
                                shrinkers = [.. (await client.ListAsync(_stop.Token)).Shrinkers];
                                break;
                            case "stat":
                                await client.StatAsync(_stop.Token);
                                break;
                            case "groups":
                                groups = [.. (await client.GetGroupsAsync(_stop.Token)).Groups];
                                break;
                            case "count" when shrinkers.Length > 0:
                                await client.CountAsync(Pick(random, shrinkers).Shrinker, _stop.Token);
                                break;
                            case "scan" when shrinkers.Length > 0:
                                ShrinkerInfo target = Pick(random, shrinkers);
                                long groupId = target.Flags.Contains("group_aware") && groups.Length > 0 ? Pick(random, groups).Id : 0;
                                ShrinkerScanResult scan = await client.ScanAsync(target.Shrinker, groupId, random.Next(Registry.NodeCount), random.Next(1, 257), _stop.Token);
                                Counters.Add("reclaim.endpoint-scan.freed", scan.Freed);
                                break;
                            case "set-group" when groups.Length > 1:
                                GroupInfo info = Pick(random, groups);
                                if (info.Path.StartsWith("/ledger/", StringComparison.Ordinal) && info.Max == MemoryGroup.Unlimited)
                                {
                                    await client.SetGroupAsync(info.Id, GroupLimitKind.High, random.Next(2, 9) * 1024L * 1024, _stop.Token);
                                }

                                break;
                            case "drop-caches" when Now - lastDrop > DropInterval:
                                lastDrop = Now;
                                DropCachesResult dropped = await client.DropCachesAsync(_stop.Token);
                                Counters.Add("reclaim.endpoint-drop-caches.calls");
                                Counters.Add("reclaim.endpoint-drop-caches.freed", dropped.Freed);
                                break;
                            case "version":
                                await client.GetVersionAsync(_stop.Token);
                                break;
                            default:
                                continue;
                        }

                        Counters.Add("endpoint.ok." + command);
                    }
                    catch (ReclaimDiagnosticException ex) when (ex.Code is DiagnosticErrorCode.NotFound or DiagnosticErrorCode.Busy)
                    {
                        // A shrinker freed or a group taken offline since the last list; a drop-caches already running.
                        Counters.Add($"endpoint.expected-error.{command}.{ex.WireCode}");
                    }
                    catch (ReclaimDiagnosticException ex) when (command == "set-group" && ex.Code == DiagnosticErrorCode.InvalidArgument)
                    {
                        Counters.Add($"endpoint.expected-error.{command}.{ex.WireCode}"); // High above a Max set meanwhile.
                    }
                    catch (ReclaimDiagnosticException ex)
                    {
                        Violations.Add("endpoint", $"'{command}' failed with {ex.WireCode}: {ex.Message}");
                        break; // The connection may be closed: open another.
                    }
                    catch (OperationCanceledException) when (Stopping)
                    {
                        break;
                    }

                    await Task.Delay(random.Next(2, 25), CancellationToken.None);
                }
            }
        }
    }
}

/// <summary>Open files and threads of this process, from /proc (-1 where there is no /proc).</summary>
internal static class ProcessCounts
{
    public static int OpenFiles()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    public static int Threads()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    return int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }
}
