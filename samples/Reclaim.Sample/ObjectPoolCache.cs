namespace Reclaim.Sample;

/// <summary>
/// A stand-in for a cache: it holds a number of objects and gives them back when its shrinker is scanned. It records
/// what each pass asked of it, so the sample can show the kernel's arithmetic at work.
/// </summary>
internal sealed class ObjectPoolCache
{
    private long _objects;

    public ObjectPoolCache(ShrinkerRegistry registry, string name, long objects, int seeks)
    {
        _objects = objects;
        Shrinker = registry.Alloc(name);
        Shrinker.Seeks = seeks;
        Shrinker.PrivateData = this;
        Shrinker.CountObjects = static (Shrinker s, ref ShrinkControl _) => ((ObjectPoolCache)s.PrivateData!).Count();
        Shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl sc) => ((ObjectPoolCache)s.PrivateData!).Scan(ref sc);
        Shrinker.Register();
    }

    public Shrinker Shrinker { get; }

    public long Objects => Interlocked.Read(ref _objects);

    /// <summary>Objects the passes asked this cache to scan since the last <see cref="ResetAsked"/>.</summary>
    public long Asked { get; private set; }

    /// <summary>Scan calls since the last <see cref="ResetAsked"/>.</summary>
    public int Calls { get; private set; }

    public void ResetAsked()
    {
        Asked = 0;
        Calls = 0;
    }

    /// <summary>The cache refills (new requests arrive between passes).</summary>
    public void Grow(long objects) => Interlocked.Add(ref _objects, objects);

    private long Count()
    {
        long objects = Interlocked.Read(ref _objects);
        return objects > 0 ? objects : Shrinker.Empty;
    }

    private long Scan(ref ShrinkControl control)
    {
        Asked += control.NrToScan;
        Calls++;
        long freed = Math.Min(control.NrToScan, Interlocked.Read(ref _objects));
        Interlocked.Add(ref _objects, -freed);
        return freed;
    }
}
