namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>drop-caches</c>.</summary>
public sealed class DropCachesResult
{
    /// <summary>The objects freed over all rounds (<see cref="ShrinkerRegistry.DropCaches()"/>).</summary>
    public long Freed { get; init; }

    /// <summary>How long it took, in milliseconds.</summary>
    public double ElapsedMs { get; init; }
}
