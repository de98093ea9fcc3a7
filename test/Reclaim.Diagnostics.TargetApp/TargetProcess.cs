using System.Collections.Concurrent;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.TargetApp;

/// <summary>
/// What the process holds, fixed so that tests can assert exact output. A registry of one node with the groups
/// <c>/ (1)</c>, <c>/tenant-a (2)</c> (high 64 MiB, 8 MiB charged) and <c>/tenant-b (3)</c> (max 1 GiB, 4 MiB charged),
/// and three shrinkers registered in this order, so their debug names are fixed:
/// <list type="bullet">
/// <item><c>object-cache-0</c>: group-aware, 100 objects in the root, 300 in /tenant-a, 200 in /tenant-b;</item>
/// <item><c>buffer-pool-1</c>: not group-aware, 1,000 objects;</item>
/// <item><c>idle-cache-2</c>: counts 0.</item>
/// </list>
/// A scan really frees what it reports, so a count after a scan or <c>drop-caches</c> shows the difference. The
/// reclaimer runs against an explicit limit, by default 64 GiB (<see cref="IdleLimit"/>), so it stays idle: nothing
/// changes unless a test asks.
/// </summary>
internal sealed class TargetProcess : IDisposable
{
    public const long IdleLimit = 64L << 30;

    private readonly ConcurrentDictionary<long, long> _cacheObjects = new();
    private long _poolObjects = 1000;

    public TargetProcess(long limit = IdleLimit)
    {
        Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 });
        TenantA = Registry.Root.CreateChild("tenant-a");
        TenantB = Registry.Root.CreateChild("tenant-b");
        TenantA.High = 64L << 20;
        TenantB.Max = 1L << 30;
        TenantA.Charge(8L << 20);
        TenantB.Charge(4L << 20);

        _cacheObjects[Registry.Root.Id] = 100;
        _cacheObjects[TenantA.Id] = 300;
        _cacheObjects[TenantB.Id] = 200;
        Cache = Registry.Alloc("object-cache", ShrinkerFlags.GroupAware);
        Cache.CountObjects = (Shrinker _, ref ShrinkControl sc) => _cacheObjects.GetValueOrDefault(sc.Group?.Id ?? Registry.Root.Id);
        Cache.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            long id = sc.Group?.Id ?? Registry.Root.Id;
            while (true)
            {
                long have = _cacheObjects.GetValueOrDefault(id);
                long taken = Math.Min(have, sc.NrToScan);
                if (taken == 0 || _cacheObjects.TryUpdate(id, have - taken, have))
                {
                    return taken;
                }
            }
        };
        Cache.Register();
        Cache.MarkHasObjects(TenantA);
        Cache.MarkHasObjects(TenantB);

        Pool = Registry.Alloc("buffer-pool");
        Pool.CountObjects = (Shrinker _, ref ShrinkControl sc) => Interlocked.Read(ref _poolObjects);
        Pool.ScanObjects = (Shrinker _, ref ShrinkControl sc) =>
        {
            long have;
            long taken;
            do
            {
                have = Interlocked.Read(ref _poolObjects);
                taken = Math.Min(have, sc.NrToScan);
            }
            while (Interlocked.CompareExchange(ref _poolObjects, have - taken, have) != have);
            return taken;
        };
        Pool.Register();

        Idle = Registry.Alloc("idle-cache");
        Idle.CountObjects = (Shrinker _, ref ShrinkControl sc) => 0;
        Idle.ScanObjects = (Shrinker _, ref ShrinkControl sc) => 0;
        Idle.Register();

        Reclaimer = new Reclaimer(Registry, new ReclaimerOptions
        {
            MemoryLimitBytes = limit,
            InduceCollections = false,
            UseCgroupEvents = false,
            UsePressureStallInformation = false,
        });
        Reclaimer.Start();
    }

    public ShrinkerRegistry Registry { get; }

    public MemoryGroup TenantA { get; }

    public MemoryGroup TenantB { get; }

    public Shrinker Cache { get; }

    public Shrinker Pool { get; }

    public Shrinker Idle { get; }

    public Reclaimer Reclaimer { get; }

    public void Dispose()
    {
        Reclaimer.Dispose();
        Cache.Free();
        Pool.Free();
        Idle.Free();
    }
}
