using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim;

// Direct reclaim: on the caller's thread.
public sealed partial class Reclaimer
{
    /// <summary>
    /// Direct reclaim: frees at least <paramref name="bytes"/> charged bytes from <paramref name="group"/> and its
    /// descendants, priority 12 down to 0 on the caller's thread, and returns what was freed. For a caller about to
    /// allocate a lot; group charges above their <see cref="MemoryGroup.High"/> do the same on their own. Allocates
    /// nothing.
    /// </summary>
    /// <remarks>
    /// Progress is counted in charged bytes: what the shrinkers' scans uncharge on this thread (so charges made by other
    /// threads meanwhile neither hide nor fake progress). Shrinkers that do not
    /// charge what they hold are still asked, and their objects counted in <see cref="ReclaimResult.ObjectsFreed"/>,
    /// but they cannot bring the goal nearer: with only such shrinkers a direct reclaim goes down to priority 0. Called
    /// from inside a shrinker callback or another reclaim on the same thread, it returns at once with nothing freed
    /// (reclaim does not nest, as charges made from callbacks do not).
    /// </remarks>
    /// <param name="bytes">Charged bytes to free; 0 does nothing.</param>
    /// <param name="group">The group to reclaim from, with its descendants; null for the registry's root (everything).</param>
    /// <param name="cancellationToken">Checked between groups.</param>
    /// <returns>What was freed, the hardest priority reached, and whether <paramref name="bytes"/> were freed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="group"/> belongs to another registry, or is offline.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ReclaimResult Reclaim(long bytes, MemoryGroup? group = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        group ??= Registry.Root;
        if (!ReferenceEquals(group.Registry, Registry))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry than this reclaimer's.");
        }

        if (!group.IsOnline)
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' is offline; reclaim from its parent instead.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (bytes == 0 || ReclaimScope.IsActive || CallbackScope.IsActive)
        {
            return new ReclaimResult(0, 0, -1, bytes == 0);
        }

        var goal = new DirectGoal(ReclaimScope.Uncharged, bytes);
        ReclaimResult result = Registry.ReclaimUntil(group, ref goal, 0, cancellationToken);
        Interlocked.Add(ref _credit, result.BytesFreed);
        return result;
    }

    /// <summary>Stops once this reclaim's shrinkers uncharged <c>bytes</c> (counted on this thread from <c>start</c>).</summary>
    private readonly struct DirectGoal(long start, long bytes) : IReclaimGoal
    {
        public bool IsMet(long objectsFreed) => ReclaimScope.Uncharged - start >= bytes;

        public void AfterPriority(int priority, long objectsFreed, long objectsCounted)
        {
        }
    }
}
