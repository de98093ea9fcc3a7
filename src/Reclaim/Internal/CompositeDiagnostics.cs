namespace Reclaim.Internal;

/// <summary>Several diagnostics hooks behind one (logging, events, metrics); each is called in turn.</summary>
internal sealed class CompositeDiagnostics(ReclaimDiagnostics[] hooks) : ReclaimDiagnostics
{
    /// <summary>The hook that reports to both <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static ReclaimDiagnostics Combine(ReclaimDiagnostics first, ReclaimDiagnostics second) =>
        ReferenceEquals(first, None) ? second
        : ReferenceEquals(second, None) ? first
        : new CompositeDiagnostics(first is CompositeDiagnostics c ? [.. c._hooks, second] : [first, second]);

    /// <summary>The hooks without <paramref name="hook"/>.</summary>
    public static ReclaimDiagnostics Remove(ReclaimDiagnostics current, ReclaimDiagnostics hook)
    {
        if (ReferenceEquals(current, hook))
        {
            return None;
        }

        if (current is not CompositeDiagnostics composite)
        {
            return current;
        }

        ReclaimDiagnostics[] rest = Array.FindAll(composite._hooks, h => !ReferenceEquals(h, hook));
        return rest.Length switch
        {
            0 => None,
            1 => rest[0],
            _ => new CompositeDiagnostics(rest),
        };
    }

    private readonly ReclaimDiagnostics[] _hooks = hooks;

    public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception)
    {
        foreach (ReclaimDiagnostics hook in _hooks)
        {
            hook.CallbackFailed(shrinker, kind, exception);
        }
    }

    public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value)
    {
        foreach (ReclaimDiagnostics hook in _hooks)
        {
            hook.ContractViolated(shrinker, kind, value);
        }
    }

    public override void UnchargeUnderflow(Groups.MemoryGroup group, long usage, long bytes)
    {
        foreach (ReclaimDiagnostics hook in _hooks)
        {
            hook.UnchargeUnderflow(group, usage, bytes);
        }
    }

    public override void ReclaimerFailed(Exception exception)
    {
        foreach (ReclaimDiagnostics hook in _hooks)
        {
            hook.ReclaimerFailed(exception);
        }
    }
}
