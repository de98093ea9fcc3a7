using System.Collections.Concurrent;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// What a process under diagnosis holds: a registry of two nodes, the group tree <c>/ (1) → /a (2) → /a/b (3)</c> and
/// an offline <c>/c (4)</c>, and five shrinkers of every kind, registered in this order (so their debug names are fixed):
/// <c>plain-0</c> (7 objects), <c>numa-1</c> (node-aware: 5 and 9), <c>memcg-2</c> (node- and group-aware: 2 in the
/// root on node 0, 4 in /a on node 1, none in /a/b), <c>faulty-3</c> (its scan throws) and <c>empty-4</c> (counts Empty).
/// Every scan call is recorded.
/// </summary>
internal sealed class TestProcess : IDisposable
{
    private readonly ConcurrentDictionary<(long Group, int Node), long> _memcgObjects = new();
    private long _plainObjects = 7;

    public TestProcess()
    {
        Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        A = Registry.Root.CreateChild("a");
        B = A.CreateChild("b");
        C = Registry.Root.CreateChild("c");
        C.Offline();

        Plain = Register("plain", ShrinkerFlags.None, _ => Interlocked.Read(ref _plainObjects), (sc) =>
        {
            long take = Math.Min(sc.NrToScan, Interlocked.Read(ref _plainObjects));
            Interlocked.Add(ref _plainObjects, -take);
            return take;
        });
        long[] numa = [5, 9];
        Numa = Register("numa", ShrinkerFlags.NodeAware, sc => numa[sc.Node], sc => sc.NrToScan);
        _memcgObjects[(Registry.Root.Id, 0)] = 2;
        _memcgObjects[(A.Id, 1)] = 4;
        _memcgObjects[(C.Id, 0)] = 100; // never shown: the group is offline
        PerGroup = Register("memcg", ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware,
            sc => _memcgObjects.GetValueOrDefault((sc.Group!.Id, sc.Node)),
            sc => sc.NrToScan / 2);
        Faulty = Register("faulty", ShrinkerFlags.None, _ => 3, _ => throw new InvalidOperationException("scan exploded"));
        Emptied = Register("empty", ShrinkerFlags.GroupAware, _ => Shrinker.Empty, _ => 0);
    }

    public ShrinkerRegistry Registry { get; }

    public MemoryGroup A { get; }

    public MemoryGroup B { get; }

    public MemoryGroup C { get; }

    public Shrinker Plain { get; }

    public Shrinker Numa { get; }

    public Shrinker PerGroup { get; }

    public Shrinker Faulty { get; }

    public Shrinker Emptied { get; }

    /// <summary>Every scan call: the shrinker's debug name and what it was asked.</summary>
    public ConcurrentQueue<(string Shrinker, ShrinkControl Control)> Scans { get; } = new();

    /// <summary>How many count calls were made, over all shrinkers.</summary>
    public int CountCalls => Volatile.Read(ref _countCalls);

    private int _countCalls;

    public void Dispose()
    {
        foreach (Shrinker shrinker in Registry.GetShrinkers())
        {
            shrinker.Free();
        }
    }

    private Shrinker Register(string name, ShrinkerFlags flags, Func<ShrinkControl, long> count, Func<ShrinkControl, long> scan)
    {
        Shrinker shrinker = Registry.Alloc(name, flags);
        shrinker.CountObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            Interlocked.Increment(ref _countCalls);
            return count(sc);
        };
        shrinker.ScanObjects = (Shrinker s, ref ShrinkControl sc) =>
        {
            Scans.Enqueue((s.ToString(), sc));
            return scan(sc);
        };
        shrinker.Register();
        return shrinker;
    }
}
