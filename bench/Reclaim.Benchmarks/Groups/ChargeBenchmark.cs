using BenchmarkDotNet.Attributes;
using Reclaim.Groups;

namespace Reclaim.Benchmarks.Groups;

/// <summary>
/// <c>TryCharge</c> + <c>Uncharge</c> of a group three levels deep, on the path where no reclaim is needed: one thread,
/// and both cores charging the same subtree at once (contention on the shared ancestors' counters). Allocated must be 0.
/// Mean is per charge+uncharge pair (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class ChargeBenchmark : IDisposable
{
    private const int Ops = 100_000;
    private MemoryGroup _leafA = null!;
    private MemoryGroup _leafB = null!;
    private Thread? _other;
    private Barrier? _start;
    private Barrier? _end;
    private volatile bool _stop;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        MemoryGroup tenant = registry.Root.CreateChild("tenant");
        tenant.Max = 1L << 40;
        _leafA = tenant.CreateChild("service").CreateChild("a");
        _leafB = tenant.CreateChild("other").CreateChild("b");
        if (Threads == 2)
        {
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

                    Loop(_leafB);
                    _end.SignalAndWait();
                }
            }) { IsBackground = true };
            _other.Start();
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public long ChargeUncharge()
    {
        _start?.SignalAndWait();
        long n = Loop(_leafA);
        _end?.SignalAndWait();
        return n;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        if (_other is not null)
        {
            _stop = true;
            _start!.SignalAndWait();
            _other.Join();
        }

        _start?.Dispose();
        _end?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static long Loop(MemoryGroup group)
    {
        long ok = 0;
        for (int i = 0; i < Ops; i++)
        {
            if (group.TryCharge(4_096))
            {
                ok++;
                group.Uncharge(4_096);
            }
        }

        return ok;
    }
}
