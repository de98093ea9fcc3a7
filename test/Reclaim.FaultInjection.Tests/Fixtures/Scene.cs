using Reclaim.Groups;

namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>
/// A registry of its own with a recording diagnostics hook, and the shrinkers a test adds to it (each freed at the end).
/// Declare holds after the scene, so they are released (disposed first) before its shrinkers are freed.
/// </summary>
internal sealed class Scene : IDisposable
{
    private readonly List<FaultyShrinker> _shrinkers = [];

    public Scene(ShrinkerRegistryOptions? options = null)
    {
        Registry = new ShrinkerRegistry(options ?? new ShrinkerRegistryOptions { NodeCount = 1 });
        Reports = RecordingDiagnostics.On(Registry);
    }

    public ShrinkerRegistry Registry { get; }

    public MemoryGroup Root => Registry.Root;

    public RecordingDiagnostics Reports { get; }

    /// <summary>Adds a <see cref="FaultyShrinker"/> named uniquely after <paramref name="prefix"/>.</summary>
    public FaultyShrinker Add(
        string prefix,
        long objects = 1000,
        MemoryGroup? group = null,
        long bytesPerObject = 0,
        ShrinkerFlags flags = ShrinkerFlags.None,
        int batch = 100,
        int seeks = Shrinker.DefaultSeeks)
    {
        var shrinker = new FaultyShrinker(Registry, Names.Unique(prefix), objects, group, bytesPerObject, flags, batch, seeks);
        lock (_shrinkers)
        {
            _shrinkers.Add(shrinker);
        }

        return shrinker;
    }

    /// <summary>A group-aware <see cref="FaultyShrinker"/> with its objects charged to <paramref name="group"/>.</summary>
    public FaultyShrinker AddInGroup(string prefix, MemoryGroup group, long objects = 1000, long bytesPerObject = 10, int batch = 100) =>
        Add(prefix, objects, group, bytesPerObject, ShrinkerFlags.GroupAware, batch);

    public void Dispose()
    {
        List<FaultyShrinker> shrinkers;
        lock (_shrinkers)
        {
            shrinkers = [.. _shrinkers];
        }

        foreach (FaultyShrinker shrinker in shrinkers)
        {
            shrinker.Free();
        }
    }
}
