namespace Reclaim.Tests;

/// <summary>Test-only set-up of internal state: inputs, never expectations.</summary>
internal static class ShrinkerTestExtensions
{
    /// <summary>Seeds deferred work on a shrinker that is not group-aware, as earlier passes would have left it.</summary>
    public static void AddDeferred(this Shrinker shrinker, int node, long value) =>
        Interlocked.Add(ref shrinker.DeferredSlot(node), value);
}
