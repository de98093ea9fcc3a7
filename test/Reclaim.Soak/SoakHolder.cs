using System.Collections.Concurrent;
using Reclaim.Groups;
using Reclaim.Lru;

namespace Reclaim.Soak;

/// <summary>One object of a <see cref="SoakHolder"/>: real bytes on the heap, charged through <see cref="Handle"/> while held.</summary>
internal sealed class SoakItem(GroupHandle handle, int bytes) : ListLruItem
{
    public GroupHandle Handle { get; } = handle;

    public int Bytes => Payload.Length;

    public byte[] Payload { get; } = new byte[bytes];
}

/// <summary>What the harness believes of a holder's shrinker (the lifecycle checker compares it with the shrinker's state).</summary>
internal enum Belief
{
    Allocated,
    Registered,
    Freeing,
    Freed,
}

/// <summary>
/// The harness's shrinker: a <see cref="ListLru{T}"/> of charged items, as the library's holders are built, plus the
/// bookkeeping the checkers need: the set of items it holds (compared with the lists), the callbacks running now, and
/// any callback that started after <see cref="Free"/> returned (a violation). Every callback enters the world gate.
/// </summary>
internal sealed class SoakHolder
{
    private static readonly ListLruIsolate<SoakItem, List<SoakItem>> s_isolate = Isolate;

    private readonly Ledger _ledger;
    private readonly WorldGate _gate;
    private readonly Violations _violations;
    private readonly Counters _counters;
    private int _inside;
    private int _freeReturned;
    private long _callsAfterFree;
    private int _belief;

    public SoakHolder(ShrinkerRegistry registry, string name, ShrinkerFlags flags, Ledger ledger, WorldGate gate, Violations violations, Counters counters, int seeks = Shrinker.DefaultSeeks, int batch = 0)
    {
        _ledger = ledger;
        _gate = gate;
        _violations = violations;
        _counters = counters;
        Shrinker = registry.Alloc(name, flags);
        Shrinker.Seeks = seeks;
        Shrinker.Batch = batch;
        Lru = new ListLru<SoakItem>(Shrinker);
        Shrinker.CountObjects = Count;
        Shrinker.ScanObjects = Scan;
        Shrinker.PrivateData = this;
    }

    public Shrinker Shrinker { get; }

    public ListLru<SoakItem> Lru { get; }

    /// <summary>The items held: added before an item is listed, removed by whoever takes it off its list.</summary>
    public ConcurrentDictionary<SoakItem, byte> Items { get; } = new(ReferenceEqualityComparer.Instance);

    public Belief Belief => (Belief)Volatile.Read(ref _belief);

    /// <summary>
    /// For the checkers' tests only: when set, the count callback answers this instead of the lists' count (a lying
    /// count makes a pass clear a bit over listed items, the fault the bit checker must see).
    /// </summary>
    public Func<long>? CountOverride { get; set; }

    /// <summary>Callbacks running now.</summary>
    public int Inside => Volatile.Read(ref _inside);

    /// <summary>Callbacks that started after <see cref="Free"/> returned.</summary>
    public long CallsAfterFree => Interlocked.Read(ref _callsAfterFree);

    public void Register()
    {
        Shrinker.Register();
        Volatile.Write(ref _belief, (int)Belief.Registered);
    }

    /// <summary>
    /// Charges and lists an item of <paramref name="bytes"/> for <paramref name="handle"/>'s group on <paramref name="node"/>.
    /// Inside the gate. Returns false when the group refused the charge.
    /// </summary>
    public bool AddItem(GroupHandle handle, int bytes, int node)
    {
        var item = new SoakItem(handle, bytes);
        if (!_ledger.TryCharge(handle, bytes))
        {
            return false;
        }

        // In the set before it is listed: a scan that takes it at once then finds it there.
        Items.TryAdd(item, 0);
        MemoryGroup? group = handle.Resolve().Group;
        if (!Lru.Add(item, node, group))
        {
            _violations.Add("lists", $"ListLru.Add refused a new item of shrinker '{Shrinker}'.");
        }

        return true;
    }

    /// <summary>Takes an item off its list and uncharges it, if no scan took it first. Inside the gate.</summary>
    public bool RemoveItem(SoakItem item)
    {
        if (!Lru.Remove(item))
        {
            return false;
        }

        Items.TryRemove(item, out _);
        _ledger.Uncharge(item.Handle, item.Bytes);
        return true;
    }

    /// <summary>
    /// Frees the shrinker (outside the gate: Free waits for the calls in flight, which may be held at the gate), checks
    /// that no callback runs once it returned, then (inside the gate) takes every item off the lists and uncharges it.
    /// </summary>
    public void Free()
    {
        if (WorldGate.IsInside)
        {
            throw new InvalidOperationException("Free must run outside the world gate (it waits for callbacks that may be held there).");
        }

        // The belief leaves Registered inside the gate, so it cannot change under a paused checker; the Free itself
        // may then complete during a pause, which the checker allows for a shrinker believed Freeing.
        _gate.Run(() => Volatile.Write(ref _belief, (int)Belief.Freeing));
        Shrinker.Free();
        Volatile.Write(ref _freeReturned, 1);
        int inside = Inside;
        if (inside != 0)
        {
            _violations.Add("callback-after-free", $"Free of '{Shrinker}' returned with {inside} callback(s) still running.");
        }

        if (Shrinker.State != ShrinkerState.Freed || Shrinker.ReferenceCount != 0)
        {
            _violations.Add("refcount", $"Free of '{Shrinker}' returned with state {Shrinker.State} and reference count {Shrinker.ReferenceCount} (want Freed, 0).");
        }

        Volatile.Write(ref _belief, (int)Belief.Freed);
        _gate.Run(Drain);
        Lru.Dispose();
    }

    /// <summary>Takes every item off the lists (no scan runs any more) and checks none is left anywhere.</summary>
    private void Drain()
    {
        foreach (SoakItem item in Items.Keys)
        {
            if (RemoveItem(item))
            {
                _counters.Add("items.drained");
            }
            else
            {
                _violations.Add("lists", $"An item held by freed shrinker '{Shrinker}' was on none of its lists.");
                Items.TryRemove(item, out _);
            }
        }

        long left = Lru.Count;
        if (left != 0)
        {
            _violations.Add("lists", $"Freed shrinker '{Shrinker}' still has {left} item(s) on its lists after every held item was removed.");
        }
    }

    private long Count(Shrinker shrinker, ref ShrinkControl control)
    {
        _gate.Enter();
        Interlocked.Increment(ref _inside);
        try
        {
            CheckNotFreed("count");
            return CountOverride is { } lie ? lie() : Lru.ShrinkCount(ref control);
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
            _gate.Exit();
        }
    }

    private long Scan(Shrinker shrinker, ref ShrinkControl control)
    {
        _gate.Enter();
        Interlocked.Increment(ref _inside);
        try
        {
            CheckNotFreed("scan");
            ReclaimSource source = SourceScope.Current;
            var removed = new List<SoakItem>();
            long freed = Lru.ShrinkWalk(ref control, s_isolate, ref removed);
            foreach (SoakItem item in removed)
            {
                Items.TryRemove(item, out _);
                _ledger.Uncharge(item.Handle, item.Bytes);
            }

            string name = source.ToString();
            _counters.Add("scan-calls." + name);
            _counters.Add("scan-freed." + name, freed);
            return freed;
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
            _gate.Exit();
        }
    }

    private void CheckNotFreed(string callback)
    {
        if (Volatile.Read(ref _freeReturned) != 0)
        {
            Interlocked.Increment(ref _callsAfterFree);
            _violations.Add("callback-after-free", $"The {callback} callback of '{Shrinker}' ran after its Free returned.");
        }
    }

    private static LruWalkResult Isolate(SoakItem item, ref List<SoakItem> removed)
    {
        removed.Add(item);
        return LruWalkResult.Removed;
    }
}
