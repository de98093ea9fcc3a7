using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Telemetry;

/// <summary>
/// The diagnostics hook every registry reports to before any other (<see cref="ShrinkerRegistry.Reporter"/>): it
/// forwards callback failures, contract violations, uncharge underflows and reclaimer failures to
/// <see cref="ReclaimEventSource"/>. Stateless, so one instance serves every registry.
/// </summary>
/// <remarks>
/// Called on the reclaim path from any thread: each method checks that a session listens before it reads anything, and
/// none throws (an exception's <see cref="Exception.Message"/> is user code and may).
/// </remarks>
internal sealed class EventSourceDiagnostics : ReclaimDiagnostics
{
    public static readonly EventSourceDiagnostics Instance = new();

    private EventSourceDiagnostics()
    {
    }

    public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception)
    {
        try
        {
            ReclaimEventSource.Log.OnCallbackFailed(shrinker, kind, exception);
        }
#pragma warning disable CA1031 // The hook must not throw into the pass; a throwing Message loses only its event.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value) =>
        ReclaimEventSource.Log.OnContractViolated(shrinker, kind, value);

    public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes) =>
        ReclaimEventSource.Log.OnUnchargeUnderflow(group, usage, bytes);

    public override void ReclaimerFailed(Exception exception)
    {
        try
        {
            ReclaimEventSource.Log.OnReclaimerFailed(exception);
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
