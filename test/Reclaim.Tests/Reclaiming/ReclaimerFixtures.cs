using Microsoft.Extensions.Time.Testing;
using Reclaim.Groups;
using Reclaim.Pressure;

namespace Reclaim.Tests.Reclaiming;

/// <summary>Readings the test sets; InduceCollection runs what the test says a collection would do.</summary>
internal sealed class FakeMemoryReader : IMemoryReader
{
    public long LimitBytes { get; set; } = 1000 * Mb;

    public MemoryLimitSource LimitSource { get; set; } = MemoryLimitSource.GCHeapHardLimit;

    public long Heap { get; set; }

    public long Cgroup { get; set; } = -1;

    public long WorkingSet { get; set; }

    public int Gen2 { get; set; }

    public int Gen0 { get; set; }

    public int Induced { get; private set; }

    /// <summary>What an induced collection does to the readings (default: nothing but count).</summary>
    public Action<FakeMemoryReader>? OnCollect { get; set; }

    public const long Mb = 1 << 20;

    public int CollectionCount => Gen2 + Gen0;

    public int Gen2CollectionCount => Gen2;

    public MemoryLimit ResolveLimit(long? explicitBytes) =>
        explicitBytes is { } bytes ? new MemoryLimit(bytes, MemoryLimitSource.Explicit) : new MemoryLimit(LimitBytes, LimitSource);

    public long ReadManagedHeap() => Heap;

    public long ReadCgroupUsage() => Cgroup;

    public long ReadWorkingSet() => WorkingSet;

    public void InduceCollection()
    {
        Induced++;
        Gen2++;
        OnCollect?.Invoke(this);
    }
}

/// <summary>
/// A shrinker over a pool of equal objects; each object charges <see cref="ObjectBytes"/> to its group when
/// <see cref="Charged"/>, and a scan frees and uncharges them. Group-aware: one count per group.
/// </summary>
internal sealed class ObjectPool : IDisposable
{
    private readonly Dictionary<MemoryGroup, long> _objects = [];

    public ObjectPool(ShrinkerRegistry registry, string name, long objectBytes, bool charged = true, int seeks = Shrinker.DefaultSeeks)
    {
        ObjectBytes = objectBytes;
        Charged = charged;
        Shrinker = registry.Alloc(name, ShrinkerFlags.GroupAware);
        Shrinker.Seeks = seeks;
        Shrinker.PrivateData = this;
        Shrinker.CountObjects = static (Shrinker s, ref ShrinkControl sc) => ((ObjectPool)s.PrivateData!).Count(sc.Group!);
        Shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl sc) => ((ObjectPool)s.PrivateData!).Free(sc.Group!, sc.NrToScan);
        Shrinker.Register();
    }

    public Shrinker Shrinker { get; }

    public long ObjectBytes { get; }

    public bool Charged { get; }

    public long Scanned { get; private set; }

    public void Add(MemoryGroup group, long count)
    {
        // Charge before the objects can be scanned (and uncharged), as a real holder does.
        if (Charged)
        {
            Assert.True(group.TryCharge(count * ObjectBytes), "the test's charge must fit");
        }

        lock (_objects)
        {
            _objects[group] = _objects.GetValueOrDefault(group) + count;
        }

        Shrinker.MarkHasObjects(group);
    }

    /// <summary>All objects held, in every group (online or not).</summary>
    public long TotalCount()
    {
        lock (_objects)
        {
            return _objects.Values.Sum();
        }
    }

    public long Count(MemoryGroup group)
    {
        lock (_objects)
        {
            return _objects.GetValueOrDefault(group);
        }
    }

    public void Dispose() => Shrinker.Free();

    private long Free(MemoryGroup group, long nr)
    {
        long freed;
        lock (_objects)
        {
            long have = _objects.GetValueOrDefault(group);
            freed = Math.Min(have, nr);
            _objects[group] = have - freed;
            Scanned += nr;
        }

        if (Charged)
        {
            group.Uncharge(freed * ObjectBytes);
        }

        return freed;
    }
}

/// <summary>A reclaimer over fake readings and a fake clock, not started: tests call <see cref="Reclaimer.Step"/>.</summary>
internal sealed class ReclaimerRig : IDisposable
{
    public ReclaimerRig(Action<ReclaimerOptions>? configure = null)
    {
        var options = new ReclaimerOptions
        {
            TimeProvider = Time,
            UseGen2CollectionSignal = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
        };
        configure?.Invoke(options);
        Reclaimer = new Reclaimer(Registry, options, Reader);
    }

    public FakeTimeProvider Time { get; } = new();

    public FakeMemoryReader Reader { get; } = new();

    public ShrinkerRegistry Registry { get; } = new(new ShrinkerRegistryOptions { NodeCount = 1 });

    public Reclaimer Reclaimer { get; }

    public MemoryGroup Root => Registry.Root;

    /// <summary>Starts the reclaimer and waits for the reading its thread takes at once (it sets the pressure line).</summary>
    public void StartAndWaitForFirstReading()
    {
        Reclaimer.Start();
        Assert.True(
            SpinWait.SpinUntil(() => Root.ReclaimLine != MemoryGroup.Unlimited, Threaded.Timeout),
            "the reclaimer's thread never took its first reading");
    }

    public void Dispose() => Reclaimer.Dispose();
}
