using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;
using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim.Telemetry;

// What goes wrong: forwarded from the registry's diagnostics hook (EventSourceDiagnostics) and the stuck-callback
// monitor. Rare paths, but written without allocating all the same: a broken shrinker faults on every pass.
public sealed partial class ReclaimEventSource
{
    [NonEvent]
    internal void OnCallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception)
    {
        if (IsFaultsEnabled)
        {
            CallbackFailed(shrinker.Name, shrinker.DebugId, CallbackName(kind), exception.GetType().FullName ?? string.Empty, exception.Message ?? string.Empty);
        }
    }

    [NonEvent]
    internal void OnContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value)
    {
        if (IsFaultsEnabled)
        {
            ContractViolated(shrinker.Name, shrinker.DebugId, CallbackName(kind), value);
        }
    }

    [NonEvent]
    internal void OnReclaimerFailed(Exception exception)
    {
        if (IsEnabled() && IsEnabled(EventLevel.Error, Keywords.Faults))
        {
            ReclaimerFailed(exception.GetType().FullName ?? string.Empty, exception.Message ?? string.Empty);
        }
    }

    [NonEvent]
    internal void OnUnchargeUnderflow(MemoryGroup group, long usageBytes, long bytes)
    {
        if (IsFaultsEnabled)
        {
            UnchargeUnderflow(group.Path, group.Id, usageBytes, bytes);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(CallbackFailedId, Version = 1, Level = EventLevel.Warning, Keywords = Keywords.Faults,
        Message = "Shrinker {0}-{1} threw {3} from its {2} callback: {4}")]
    private unsafe void CallbackFailed(string shrinker, int shrinkerId, string callback, string exceptionType, string message)
    {
        fixed (char* name = shrinker, kind = callback, type = exceptionType, text = message)
        {
            EventData* data = stackalloc EventData[5];
            Set(data, 0, name, SizeOf(shrinker));
            Set(data, 1, &shrinkerId, sizeof(int));
            Set(data, 2, kind, SizeOf(callback));
            Set(data, 3, type, SizeOf(exceptionType));
            Set(data, 4, text, SizeOf(message));
            WriteEventCore(CallbackFailedId, 5, data);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(ContractViolatedId, Version = 1, Level = EventLevel.Warning, Keywords = Keywords.Faults,
        Message = "Shrinker {0}-{1} broke the contract: its {2} callback returned {3}")]
    private unsafe void ContractViolated(string shrinker, int shrinkerId, string callback, long value)
    {
        fixed (char* name = shrinker, kind = callback)
        {
            EventData* data = stackalloc EventData[4];
            Set(data, 0, name, SizeOf(shrinker));
            Set(data, 1, &shrinkerId, sizeof(int));
            Set(data, 2, kind, SizeOf(callback));
            Set(data, 3, &value, sizeof(long));
            WriteEventCore(ContractViolatedId, 4, data);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(CallbackStuckId, Version = 1, Level = EventLevel.Warning, Keywords = Keywords.Faults,
        Message = "Shrinker {0}-{1} has been inside its callbacks for {2} ms ({3} calls running)")]
    private unsafe void CallbackStuck(string shrinker, int shrinkerId, long runningForMs, int runningCallbacks)
    {
        fixed (char* name = shrinker)
        {
            EventData* data = stackalloc EventData[4];
            Set(data, 0, name, SizeOf(shrinker));
            Set(data, 1, &shrinkerId, sizeof(int));
            Set(data, 2, &runningForMs, sizeof(long));
            Set(data, 3, &runningCallbacks, sizeof(int));
            WriteEventCore(CallbackStuckId, 4, data);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(ReclaimerFailedId, Version = 1, Level = EventLevel.Error, Keywords = Keywords.Faults,
        Message = "The reclaimer caught {0} outside any shrinker and went on: {1}")]
    private unsafe void ReclaimerFailed(string exceptionType, string message)
    {
        fixed (char* type = exceptionType, text = message)
        {
            EventData* data = stackalloc EventData[2];
            Set(data, 0, type, SizeOf(exceptionType));
            Set(data, 1, text, SizeOf(message));
            WriteEventCore(ReclaimerFailedId, 2, data);
        }
    }

    [UnconditionalSuppressMessage("ReflectionAnalysis", "IL2026:RequiresUnreferencedCode", Justification = PrimitivePayloads)]
    [Event(UnchargeUnderflowId, Version = 1, Level = EventLevel.Warning, Keywords = Keywords.Faults,
        Message = "Memory group {0} (#{1}) was uncharged {3} bytes while it held {2}; its usage stopped at 0")]
    private unsafe void UnchargeUnderflow(string group, long groupId, long usageBytes, long bytes)
    {
        fixed (char* path = group)
        {
            EventData* data = stackalloc EventData[4];
            Set(data, 0, path, SizeOf(group));
            Set(data, 1, &groupId, sizeof(long));
            Set(data, 2, &usageBytes, sizeof(long));
            Set(data, 3, &bytes, sizeof(long));
            WriteEventCore(UnchargeUnderflowId, 4, data);
        }
    }

    private static string CallbackName(ShrinkerCallbackKind kind) => kind == ShrinkerCallbackKind.Count ? "count" : "scan";
}
