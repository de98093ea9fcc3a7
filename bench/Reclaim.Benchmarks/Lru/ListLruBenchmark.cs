using BenchmarkDotNet.Attributes;
using Reclaim.Lru;

namespace Reclaim.Benchmarks.Lru;

/// <summary>Which lists the benchmark's threads work on.</summary>
public enum LruThreads
{
    /// <summary>One thread, one list.</summary>
    One,

    /// <summary>Both cores at once on the same list (node 0): every operation contends for that list's lock.</summary>
    TwoSameList,

    /// <summary>Both cores at once, each on its own node's list of a node-aware shrinker (NodeCount 2): nothing shared but the <c>ListLru</c>.</summary>
    TwoPerNode,
}

/// <summary>
/// <c>ListLru</c> operations on lists that already hold items (so an add never marks the shrinker's bit): ns per
/// operation (OperationsPerInvoke) and Allocated, which must be 0. With two threads the other thread runs the same loop
/// on its own items at the same time, and Mean is still per operation of one thread (its latency under contention,
/// not the pair's throughput).
/// </summary>
/// <remarks>
/// <para>
/// <c>AddRemove</c> adds a thread's <see cref="Ops"/> items at the hot end and then removes them in the same order: Mean
/// is per operation, the average of one add and one remove (an add cannot be timed alone without removing the item
/// again). <c>Rotate</c> moves each item to the hot end, in a random order fixed at setup. <c>Walk</c> walks
/// <see cref="Ops"/> items from the cold end with an isolate answering <see cref="LruWalkResult.Rotate"/> (second
/// chance: the cost per item looked at, lock taken once per walk).
/// </para>
/// <para>Items live in the root group; an add into another group also looks the group's lists up in a dictionary.</para>
/// </remarks>
[MemoryDiagnoser]
public class ListLruBenchmark : IDisposable
{
    /// <summary>Items per thread, per invocation: 4,096 items of 48 bytes, small enough to stay in L2.</summary>
    private const int Ops = 4_096;

    /// <summary>Items that stay listed on each list (so adds never find it empty).</summary>
    private const int Resident = 1_024;

    private static readonly ListLruIsolate<Item, int> s_rotate = static (Item _, ref int _) => LruWalkResult.Rotate;

    private Shrinker _shrinker = null!;
    private ListLru<Item> _lru = null!;
    private Worker _main = null!;
    private Worker? _otherWorker;
    private Thread? _other;
    private Barrier? _start;
    private Barrier? _end;
    private volatile bool _stop;
    private volatile int _operation;

    [Params(LruThreads.One, LruThreads.TwoSameList, LruThreads.TwoPerNode)]
    public LruThreads Threads { get; set; }

    [GlobalSetup(Targets = [nameof(AddRemove)])]
    public void SetupAddRemove() => Setup(listed: false);

    [GlobalSetup(Targets = [nameof(Rotate), nameof(Walk)])]
    public void SetupListed() => Setup(listed: true);

    [Benchmark(OperationsPerInvoke = 2 * Ops)]
    public long AddRemove() => Run(Operation.AddRemove);

    [Benchmark(OperationsPerInvoke = Ops)]
    public long Rotate() => Run(Operation.Rotate);

    [Benchmark(OperationsPerInvoke = Ops)]
    public long Walk() => Run(Operation.Walk);

    [GlobalCleanup]
    public void Dispose()
    {
        if (_other is not null)
        {
            _stop = true;
            _start!.SignalAndWait();
            _other.Join();
            _other = null;
        }

        _start?.Dispose();
        _end?.Dispose();
        _lru?.Dispose();
        _shrinker?.Free();
        GC.SuppressFinalize(this);
    }

    private void Setup(bool listed)
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        _shrinker = registry.Alloc("list-lru-bench", ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware);
        _shrinker.CountObjects = static (Shrinker _, ref ShrinkControl _) => Shrinker.Empty;
        _shrinker.ScanObjects = static (Shrinker _, ref ShrinkControl _) => Shrinker.Stop;
        _shrinker.Register();
        _lru = new ListLru<Item>(_shrinker);
        for (int node = 0; node < 2; node++)
        {
            for (int i = 0; i < Resident; i++)
            {
                _lru.Add(new Item(), node);
            }
        }

        _main = new Worker(_lru, node: 0, listed, seed: 1);
        if (Threads == LruThreads.One)
        {
            return;
        }

        _otherWorker = new Worker(_lru, node: Threads == LruThreads.TwoPerNode ? 1 : 0, listed, seed: 2);
        _start = new Barrier(2);
        _end = new Barrier(2);
        _other = new Thread(() =>
        {
            while (true)
            {
                _start.SignalAndWait();
                if (_stop)
                {
                    return;
                }

                _otherWorker.Do(_operation);
                _end.SignalAndWait();
            }
        }) { IsBackground = true, Name = "ListLruBenchmark other" };
        _other.Start();
    }

    /// <summary>Runs <paramref name="operation"/> on this thread and, with two threads, on the other at the same time.</summary>
    private long Run(int operation)
    {
        if (_start is null)
        {
            return _main.Do(operation);
        }

        _operation = operation;
        _start.SignalAndWait();
        long n = _main.Do(operation);
        _end!.SignalAndWait();
        return n;
    }

    /// <summary>The loops, as numbers the other thread reads (a delegate per invocation would allocate).</summary>
    private static class Operation
    {
        public const int AddRemove = 0;
        public const int Rotate = 1;
        public const int Walk = 2;
    }

    /// <summary>A listed object: just the links.</summary>
    private sealed class Item : ListLruItem
    {
    }

    /// <summary>One thread's items on one node's list, and its loops.</summary>
    private sealed class Worker
    {
        private readonly ListLru<Item> _lru;
        private readonly int _node;
        private readonly Item[] _items = new Item[Ops];
        private readonly Item[] _shuffled;

        public Worker(ListLru<Item> lru, int node, bool listed, int seed)
        {
            _lru = lru;
            _node = node;
            for (int i = 0; i < _items.Length; i++)
            {
                _items[i] = new Item();
                if (listed)
                {
                    lru.Add(_items[i], node);
                }
            }

            _shuffled = (Item[])_items.Clone();
            new Random(seed).Shuffle(_shuffled);
        }

        public long Do(int operation) => operation switch
        {
            Operation.AddRemove => AddRemove(),
            Operation.Rotate => Rotate(),
            _ => Walk(),
        };

        private long AddRemove()
        {
            long n = 0;
            Item[] items = _items;
            for (int i = 0; i < items.Length; i++)
            {
                n += _lru.Add(items[i], _node) ? 1 : 0;
            }

            for (int i = 0; i < items.Length; i++)
            {
                n += _lru.Remove(items[i]) ? 1 : 0;
            }

            return n;
        }

        private long Rotate()
        {
            long n = 0;
            Item[] items = _shuffled;
            for (int i = 0; i < items.Length; i++)
            {
                n += _lru.Rotate(items[i]) ? 1 : 0;
            }

            return n;
        }

        private long Walk()
        {
            long budget = Ops;
            int state = 0;
            _lru.Walk(_node, null, s_rotate, ref state, ref budget);
            return Ops - budget;
        }
    }
}
