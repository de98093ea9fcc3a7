using Reclaim.Groups;

namespace Reclaim.Soak;

/// <summary>A group whose list has items while its bit for the shrinker is clear.</summary>
internal readonly record struct BitMismatch(SoakHolder Holder, MemoryGroup Group, int Node, long Items);

/// <summary>
/// The invariant checkers. Each runs while the world is paused (no harness operation or harness callback in flight) and
/// records what it finds in <see cref="Violations"/>; each returns how many facts it checked.
/// </summary>
internal static class Invariants
{
    /// <summary>
    /// Reference counts and lifecycle: each holder's shrinker is in the state the harness believes; a registered one
    /// holds its initial reference plus one per callback running (so at least 1 + running); an allocated or freed one
    /// holds none; no callback ran after Free returned. The registry's registered shrinkers are exactly the believed
    /// registered holders plus <paramref name="others"/> (the caches'), give or take holders being freed now.
    /// </summary>
    public static int CheckLifecycle(ShrinkerRegistry registry, IReadOnlyCollection<SoakHolder> holders, IReadOnlyCollection<Shrinker> others, Violations violations)
    {
        int checks = 0;
        var expected = new HashSet<Shrinker>(ReferenceEqualityComparer.Instance);
        var freeing = new HashSet<Shrinker>(ReferenceEqualityComparer.Instance);
        foreach (SoakHolder holder in holders)
        {
            Shrinker s = holder.Shrinker;
            Belief belief = holder.Belief;
            ShrinkerState state = s.State;
            int references = s.ReferenceCount;
            int inside = holder.Inside;
            checks++;
            if (holder.CallsAfterFree != 0)
            {
                violations.Add("callback-after-free", $"'{s}' had {holder.CallsAfterFree} callback(s) after Free returned.");
            }

            switch (belief)
            {
                case Belief.Allocated:
                    if (state != ShrinkerState.Allocated || references != 0)
                    {
                        violations.Add("refcount", $"'{s}' was allocated and never registered, but is {state} with reference count {references} (want Allocated, 0).");
                    }

                    break;
                case Belief.Registered:
                    expected.Add(s);
                    if (state != ShrinkerState.Registered || references < 1 + inside)
                    {
                        violations.Add("refcount", $"'{s}' is registered as far as its owner knows, but is {state} with reference count {references} and {inside} callback(s) running (want Registered, at least {1 + inside}).");
                    }

                    break;
                case Belief.Freeing:
                    freeing.Add(s);
                    break;
                case Belief.Freed:
                    if (state != ShrinkerState.Freed || references != 0 || inside != 0)
                    {
                        violations.Add("refcount", $"'{s}' was freed, but is {state} with reference count {references} and {inside} callback(s) running (want Freed, 0, 0).");
                    }

                    break;
            }
        }

        foreach (Shrinker s in others)
        {
            checks++;
            expected.Add(s);
            if (s.State != ShrinkerState.Registered || s.ReferenceCount < 1)
            {
                violations.Add("refcount", $"'{s}' (a cache's) is {s.State} with reference count {s.ReferenceCount} (want Registered, at least 1).");
            }
        }

        Shrinker[] listed = registry.GetShrinkers();
        var listedSet = new HashSet<Shrinker>(listed, ReferenceEqualityComparer.Instance);
        foreach (Shrinker s in listed)
        {
            checks++;
            if (!expected.Contains(s) && !freeing.Contains(s))
            {
                violations.Add("leak", $"The registry lists '{s}' ({s.State}, reference count {s.ReferenceCount}), which no owner holds registered.");
            }
        }

        foreach (Shrinker s in expected)
        {
            checks++;
            if (!listedSet.Contains(s))
            {
                violations.Add("refcount", $"'{s}' is registered as far as its owner knows, but the registry does not list it.");
            }
        }

        int count = registry.RegisteredCount;
        checks++;
        if (count < expected.Count || count > expected.Count + freeing.Count)
        {
            violations.Add("refcount", $"The registry counts {count} registered shrinker(s); its owners hold {expected.Count} registered and {freeing.Count} being freed.");
        }

        return checks;
    }

    /// <summary>
    /// Charges balance: every online group the ledger tracks has the usage the ledger recorded for its subtree, plus
    /// <paramref name="extra"/> (bytes charged by others, the caches: for the root). Groups whose extra moves on its own
    /// (caches evicted by background reclaim during the pause) are re-read up to <paramref name="attempts"/> times,
    /// 1 ms apart, before a difference counts.
    /// </summary>
    public static int CheckCharges(Ledger ledger, Func<MemoryGroup, long> extra, Violations violations, int attempts = 1)
    {
        Dictionary<MemoryGroup, long> expected = ledger.ExpectedUsage();
        int checks = 0;
        foreach ((MemoryGroup group, long ledgerBytes) in expected)
        {
            if (!group.IsOnline)
            {
                continue;
            }

            checks++;
            long usage = 0;
            long want = 0;
            bool balanced = false;
            for (int attempt = 0; attempt < attempts && !balanced; attempt++)
            {
                if (attempt > 0)
                {
                    Thread.Sleep(1);
                }

                want = ledgerBytes + extra(group);
                usage = group.Usage;
                balanced = usage == want;
            }

            if (!balanced)
            {
                violations.Add("charges", $"Group '{group.Path}' has usage {usage} bytes; the harness charged {want} net to it and its subtree (difference {usage - want}).");
            }
        }

        return checks;
    }

    /// <summary>
    /// A cache's charges: its group's usage equals the bytes of its live entries (nothing else is charged to its subtree).
    /// Re-read as in <see cref="CheckCharges"/>, since reclaim may evict from it during the pause.
    /// </summary>
    public static bool CheckCacheCharges(string name, MemoryGroup group, Func<long> bytes, Violations violations, int attempts = 200)
    {
        long usage = 0;
        long want = 0;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                Thread.Sleep(1);
            }

            want = bytes();
            usage = group.Usage;
            if (usage == want)
            {
                return true;
            }
        }

        violations.Add("charges", $"Cache '{name}': group '{group.Path}' has usage {usage} bytes, its entries {want} (difference {usage - want}).");
        return false;
    }

    /// <summary>
    /// Bits against list contents: for every group-aware holder and every online group, a (group, node) list with items
    /// has the shrinker's bit set (else group passes would never reclaim those items). Also each holder's set of items
    /// equals its lists' count. Returns the mismatches (the caller re-checks them after letting passes finish: a pass
    /// between clearing a bit and re-counting is a legitimate moment of clear bit and listed items).
    /// </summary>
    public static List<BitMismatch> FindBitMismatches(IReadOnlyCollection<SoakHolder> holders, IReadOnlyCollection<MemoryGroup> groups, int nodeCount, ref int checks)
    {
        var mismatches = new List<BitMismatch>();
        foreach (SoakHolder holder in holders)
        {
            Shrinker s = holder.Shrinker;
            if (!s.IsGroupAware || holder.Belief is not (Belief.Registered or Belief.Allocated))
            {
                continue;
            }

            int nodes = s.IsNodeAware ? nodeCount : 1;
            foreach (MemoryGroup group in groups)
            {
                if (group.IsRoot || !group.IsOnline)
                {
                    continue;
                }

                for (int node = 0; node < nodes; node++)
                {
                    checks++;
                    long items = holder.Lru.CountOf(node, group);
                    if (items > 0 && !GroupBits.IsSet(group, node, s))
                    {
                        mismatches.Add(new BitMismatch(holder, group, node, items));
                    }
                }
            }
        }

        return mismatches;
    }

    /// <summary>The mismatches of <paramref name="earlier"/> that still hold (same holder, group still online, items still listed, bit still clear).</summary>
    public static List<BitMismatch> StillMismatched(IEnumerable<BitMismatch> earlier) =>
        [.. earlier.Where(m => m.Group.IsOnline && m.Holder.Belief is Belief.Registered or Belief.Allocated
            && m.Holder.Lru.CountOf(m.Node, m.Group) > 0 && !GroupBits.IsSet(m.Group, m.Node, m.Holder.Shrinker))];

    /// <summary>Each holder's set of items is what its lists hold: same count, every item listed.</summary>
    public static int CheckListContents(IReadOnlyCollection<SoakHolder> holders, Violations violations)
    {
        int checks = 0;
        foreach (SoakHolder holder in holders)
        {
            if (holder.Belief is not (Belief.Registered or Belief.Allocated))
            {
                continue;
            }

            checks++;
            long listed = holder.Lru.Count;
            int held = holder.Items.Count;
            if (listed != held)
            {
                violations.Add("lists", $"'{holder.Shrinker}' holds {held} item(s) but its lists count {listed}.");
            }

            foreach (SoakItem item in holder.Items.Keys)
            {
                checks++;
                if (!item.IsListed)
                {
                    violations.Add("lists", $"An item held by '{holder.Shrinker}' is on none of its lists.");
                    break;
                }
            }
        }

        return checks;
    }
}

/// <summary>The library's internal views the checkers read (visible to the harness through InternalsVisibleTo).</summary>
internal static class GroupBits
{
    /// <summary>Whether <paramref name="shrinker"/>'s "may have objects" bit is set in <paramref name="group"/> on <paramref name="node"/>.</summary>
    public static bool IsSet(MemoryGroup group, int node, Shrinker shrinker) =>
        group.IsShrinkerBitSet(shrinker.IsNodeAware ? node : 0, shrinker.GroupAwareId);

    /// <summary>How many units of 64 group-aware ids each group's table has (grows with the highest id ever handed out).</summary>
    public static int UnitCount(ShrinkerRegistry registry) => registry.Root.GetUnits(0).Length;
}

/// <summary>
/// The lists a <see cref="Lru.ListLru{T}"/> keeps per group, read through reflection (the field is private): a live
/// ListLru must keep none for an offline group (taking a group offline splices and drops its lists), else the group
/// and its lists stay reachable for the ListLru's life.
/// </summary>
internal static class ListLruProbe
{
    /// <summary>The offline groups <paramref name="lru"/> still keeps lists for; null when the field is not found.</summary>
    public static List<MemoryGroup>? OfflineGroupsKept<T>(Lru.ListLru<T> lru)
        where T : Lru.ListLruItem
    {
        object? lists = typeof(Lru.ListLru<T>)
            .GetField("_groupLists", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?
            .GetValue(lru);
        if (lists is not System.Collections.IDictionary dictionary)
        {
            return null;
        }

        return [.. dictionary.Keys.OfType<MemoryGroup>().Where(g => !g.IsOnline)];
    }

    /// <summary>Reports every live group-aware holder whose lists are kept for an offline group. Only while paused.</summary>
    public static int Check(IReadOnlyCollection<SoakHolder> holders, Violations violations)
    {
        int checks = 0;
        foreach (SoakHolder holder in holders)
        {
            if (!holder.Shrinker.IsGroupAware || holder.Belief is not (Belief.Registered or Belief.Allocated))
            {
                continue;
            }

            List<MemoryGroup>? kept = OfflineGroupsKept(holder.Lru);
            if (kept is null)
            {
                return checks;
            }

            checks++;
            foreach (MemoryGroup group in kept)
            {
                violations.Add("leak", $"The ListLru of live shrinker '{holder.Shrinker}' keeps lists ({holder.Lru.CountOf(0, group)} item(s) on node 0) for offline group '{group.Path}'.");
            }
        }

        return checks;
    }
}
