using Microsoft.Extensions.Logging;
using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// Every message Reclaim.Hosting logs, source-generated: each checks that its level is enabled before it formats, and
/// logs its values under the names in braces. Event ids: 1-9 lifecycle, 10-19 pressure, 20-29 runs, 30-39 shrinker and
/// group faults, 40-49 reclaimer faults.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "ReclaimStarted", Level = LogLevel.Information,
        Message = "Background reclaim started: memory limit {LimitBytes} bytes ({LimitSource}), reclaim from {StartWatermark} down to {TargetWatermark} of it, critical at {DirectWatermark}")]
    public static partial void ReclaimStarted(ILogger logger, long limitBytes, MemoryLimitSource limitSource, double startWatermark, double targetWatermark, double directWatermark);

    [LoggerMessage(EventId = 2, EventName = "ReclaimDisabled", Level = LogLevel.Information,
        Message = "Background reclaim is off ({Setting} is false): shrinkers are registered and direct reclaim works, but nothing watches memory")]
    public static partial void ReclaimDisabled(ILogger logger, string setting);

    [LoggerMessage(EventId = 3, EventName = "PressureSourceActive", Level = LogLevel.Information,
        Message = "Pressure source {Source} is watching")]
    public static partial void PressureSourceActive(ILogger logger, string source);

    [LoggerMessage(EventId = 4, EventName = "PressureSourceInactive", Level = LogLevel.Information,
        Message = "Pressure source {Source} is not watching: {Reason}")]
    public static partial void PressureSourceInactive(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 5, EventName = "ReclaimStopped", Level = LogLevel.Information,
        Message = "Background reclaim stopped after {RunCount} runs and {InducedCollectionCount} induced collections")]
    public static partial void ReclaimStopped(ILogger logger, long runCount, long inducedCollectionCount);

    [LoggerMessage(EventId = 6, EventName = "ReclaimStopAbandoned", Level = LogLevel.Warning,
        Message = "Background reclaim did not stop before the host's shutdown timeout; the run in progress ends on its own")]
    public static partial void ReclaimStopAbandoned(ILogger logger);

    /// <summary>Information when pressure rises to Moderate or falls, Warning when it reaches Critical.</summary>
    [LoggerMessage(EventId = 10, EventName = "PressureChanged",
        Message = "Memory pressure {PreviousLevel} -> {PressureLevel}: usage {UsageBytes} of {LimitBytes} bytes")]
    public static partial void PressureChanged(ILogger logger, LogLevel level, MemoryPressureLevel previousLevel, MemoryPressureLevel pressureLevel, long usageBytes, long limitBytes);

    /// <summary>Debug normally; Information when the run induced a collection or left its target unmet.</summary>
    [LoggerMessage(EventId = 20, EventName = "ReclaimRun",
        Message = "Reclaim run ({Trigger}, {PressureLevel}): usage {UsageBytes} of {LimitBytes} bytes, target {TargetBytes} bytes; " +
                  "freed {FreedBytes} bytes and {FreedObjects} objects down to priority {LowestPriority}, target met {TargetMet}, " +
                  "induced collection {InducedCollection}; took {DurationMs} ms, {ReactionTimeMs} ms after the signal")]
    public static partial void ReclaimRun(
        ILogger logger, LogLevel level, string trigger, MemoryPressureLevel pressureLevel, long usageBytes, long limitBytes, long targetBytes,
        long freedBytes, long freedObjects, int lowestPriority, bool targetMet, bool inducedCollection, double durationMs, double reactionTimeMs);

    [LoggerMessage(EventId = 30, EventName = "ShrinkerCallbackFailed", Level = LogLevel.Warning,
        Message = "Shrinker {Shrinker} threw from its {Callback} callback; the pass skipped it and went on ({SuppressedCount} more faults of it since the last report)")]
    public static partial void ShrinkerCallbackFailed(ILogger logger, Exception exception, string shrinker, ShrinkerCallbackKind callback, long suppressedCount);

    [LoggerMessage(EventId = 31, EventName = "ShrinkerContractViolated", Level = LogLevel.Warning,
        Message = "Shrinker {Shrinker} broke the contract: its {Callback} callback returned {Value}, taken as 0 or Stop ({SuppressedCount} more faults of it since the last report)")]
    public static partial void ShrinkerContractViolated(ILogger logger, string shrinker, ShrinkerCallbackKind callback, long value, long suppressedCount);

    [LoggerMessage(EventId = 32, EventName = "GroupUnchargeUnderflow", Level = LogLevel.Warning,
        Message = "Memory group {Group} was uncharged {Bytes} bytes while it held {UsageBytes}; its usage stopped at 0 (a holder uncharged more than it charged)")]
    public static partial void GroupUnchargeUnderflow(ILogger logger, string group, long bytes, long usageBytes);

    [LoggerMessage(EventId = 40, EventName = "ReclaimerFailed", Level = LogLevel.Error,
        Message = "The reclaimer caught an exception outside any shrinker and went on")]
    public static partial void ReclaimerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 50, EventName = "DiagnosticEndpointListening", Level = LogLevel.Information,
        Message = "Reclaim's debug endpoint listens on {Endpoint} (read-only: {ReadOnly}); dotnet-reclaim can connect to it")]
    public static partial void DiagnosticEndpointListening(ILogger logger, string endpoint, bool readOnly);

    [LoggerMessage(EventId = 51, EventName = "DiagnosticEndpointMessage", Level = LogLevel.Information,
        Message = "Reclaim debug endpoint: {Message}")]
    public static partial void DiagnosticEndpointMessage(ILogger logger, string message);
}
