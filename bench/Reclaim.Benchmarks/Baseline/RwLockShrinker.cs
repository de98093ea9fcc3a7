namespace Reclaim.Benchmarks.Baseline;

/// <summary>The baseline's count or scan callback: <see cref="ShrinkerCallback"/> with the baseline's shrinker type.</summary>
public delegate long RwLockShrinkerCallback(RwLockShrinker shrinker, ref ShrinkControl control);

/// <summary>
/// A shrinker of <see cref="RwLockShrinkerRegistry"/>: the kernel's <c>struct shrinker</c> before 6.7, with no
/// reference count (the registry's lock is what keeps a pass and an unregister apart).
/// </summary>
public sealed class RwLockShrinker
{
    private readonly RwLockShrinkerRegistry _registry;

    internal RwLockShrinker(RwLockShrinkerRegistry registry, string name)
    {
        _registry = registry;
        Name = name;
    }

    public string Name { get; }

    public RwLockShrinkerCallback? CountObjects { get; set; }

    public RwLockShrinkerCallback? ScanObjects { get; set; }

    public int Seeks { get; set; } = Shrinker.DefaultSeeks;

    public int Batch { get; set; }

    public object? PrivateData { get; set; }

    /// <summary>Position in the registry's list while registered, -1 otherwise. Read and written under the write lock.</summary>
    internal int Index { get; set; } = -1;

    /// <summary>Deferred work (<c>nr_deferred</c>); passes exchange and add it atomically, as the kernel does.</summary>
    internal long Deferred;

    /// <summary><c>register_shrinker</c>: takes the write lock, so it waits for every pass in flight.</summary>
    public void Register() => _registry.Register(this);

    /// <summary><c>unregister_shrinker</c>: takes the write lock, so it waits for every pass in flight, whole.</summary>
    public void Free() => _registry.Unregister(this);
}
