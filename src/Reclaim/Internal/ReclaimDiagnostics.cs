namespace Reclaim.Internal;

/// <summary>Which callback a fault came from.</summary>
internal enum ShrinkerCallbackKind
{
    Count,
    Scan,
}

/// <summary>
/// The one hook through which the core reports what goes wrong in shrinkers. Diagnostics (events, metrics) subclass it;
/// the default does nothing. Called on the reclaim path, from any thread, so overrides must be cheap and must not throw.
/// </summary>
internal class ReclaimDiagnostics
{
    public static readonly ReclaimDiagnostics None = new();

    /// <summary>A callback threw; the pass took it as 0 (count) or <see cref="Shrinker.Stop"/> (scan) and went on.</summary>
    public virtual void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception)
    {
    }

    /// <summary>
    /// A callback answered outside the contract (<paramref name="value"/>); the pass took it as 0 (count) or
    /// <see cref="Shrinker.Stop"/> (scan).
    /// </summary>
    public virtual void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value)
    {
    }

    /// <summary>More was uncharged from <paramref name="group"/> than it held (<paramref name="usage"/>); its usage stopped at 0.</summary>
    public virtual void UnchargeUnderflow(Groups.MemoryGroup group, long usage, long bytes)
    {
    }

    /// <summary>The reclaimer caught an exception outside any shrinker (a subscriber, a reading) and went on.</summary>
    public virtual void ReclaimerFailed(Exception exception)
    {
    }
}
