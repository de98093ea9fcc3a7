using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;

namespace Reclaim.Telemetry;

/// <summary>
/// Reclaim's tracepoints, readable with <c>dotnet-trace</c>, PerfView or an in-process <see cref="EventListener"/>: the
/// kernel's <c>mm_shrink_slab_start</c> / <c>mm_shrink_slab_end</c> around every shrinker a pass runs, pressure-level
/// changes, background reclaim runs, and what goes wrong in callbacks.
/// </summary>
/// <remarks>
/// <para>
/// Ids are stable and payloads are versioned: a field is only ever added at the end, and the event's version rises
/// with it. Every payload is built only when a session has asked for that event's level and keyword, so nothing is
/// computed or written when nobody listens, and no event allocates on the managed heap when it is written.
/// </para>
/// <list type="table">
/// <listheader><term>id, event (level, keyword)</term><description>fields</description></listheader>
/// <item><term>1 <c>ShrinkStart</c> (Verbose, <see cref="Keywords.Shrink"/>)</term><description><c>shrinker</c>,
/// <c>shrinkerId</c>, <c>node</c>, <c>groupId</c>, <c>nrObjectsToShrink</c> (deferred work taken), <c>freeable</c>
/// (the count; the kernel's <c>cache_items</c>), <c>delta</c>, <c>totalScan</c>, <c>priority</c>.</description></item>
/// <item><term>2 <c>ShrinkEnd</c> (Verbose, <see cref="Keywords.Shrink"/>)</term><description><c>shrinker</c>,
/// <c>shrinkerId</c>, <c>node</c>, <c>groupId</c>, <c>freed</c> (the kernel's <c>shrinker_retval</c>),
/// <c>unusedScan</c> (deferred work taken at the start), <c>newScan</c> (the deferred counter after this visit put its
/// share back), <c>totalScan</c> (what was left of the work asked).</description></item>
/// <item><term>3 <c>PressureChanged</c> (Informational, <see cref="Keywords.Pressure"/>)</term><description>
/// <c>previousLevel</c>, <c>level</c> (0 none, 1 moderate, 2 critical), <c>usageBytes</c>, <c>limitBytes</c>.</description></item>
/// <item><term>4 <c>ReclaimRun</c> (Informational, <see cref="Keywords.Runs"/>)</term><description><c>trigger</c>,
/// <c>level</c>, <c>usageBytes</c>, <c>limitBytes</c>, <c>targetBytes</c>, <c>freedBytes</c>, <c>freedObjects</c>,
/// <c>lowestPriority</c>, <c>targetMet</c>, <c>inducedCollection</c>, <c>reactionMs</c>, <c>durationMs</c>.</description></item>
/// <item><term>5 <c>CallbackFailed</c> (Warning, <see cref="Keywords.Faults"/>)</term><description><c>shrinker</c>,
/// <c>shrinkerId</c>, <c>callback</c> (<c>count</c> or <c>scan</c>), <c>exceptionType</c>, <c>message</c>.</description></item>
/// <item><term>6 <c>ContractViolated</c> (Warning, <see cref="Keywords.Faults"/>)</term><description><c>shrinker</c>,
/// <c>shrinkerId</c>, <c>callback</c>, <c>value</c> (the answer outside the contract).</description></item>
/// <item><term>7 <c>CallbackStuck</c> (Warning, <see cref="Keywords.Faults"/>)</term><description><c>shrinker</c>,
/// <c>shrinkerId</c>, <c>runningForMs</c>, <c>runningCallbacks</c>: a callback running longer than its registry's
/// <see cref="ShrinkerRegistryOptions.StuckCallbackThreshold"/>, reported when it crosses it and again each time its
/// running time doubles.</description></item>
/// <item><term>8 <c>ReclaimerFailed</c> (Error, <see cref="Keywords.Faults"/>)</term><description><c>exceptionType</c>,
/// <c>message</c>.</description></item>
/// <item><term>9 <c>UnchargeUnderflow</c> (Warning, <see cref="Keywords.Faults"/>)</term><description><c>group</c>
/// (path), <c>groupId</c>, <c>usageBytes</c>, <c>bytes</c>.</description></item>
/// </list>
/// <para>
/// The per-shrinker events are Verbose so that a session at Informational (such as <c>dotnet-counters</c>) sees
/// only the rare ones. <c>dotnet-trace collect --providers Reclaim:0x1:5</c> traces every shrinker visit;
/// <c>Reclaim:0xE:4</c> everything else.
/// </para>
/// </remarks>
[EventSource(Name = SourceName)]
public sealed partial class ReclaimEventSource : EventSource
{
    /// <summary>The event source's name, as sessions name the provider.</summary>
    public const string SourceName = "Reclaim";

    private const int ShrinkStartId = 1;
    private const int ShrinkEndId = 2;
    private const int PressureChangedId = 3;
    private const int ReclaimRunId = 4;
    private const int CallbackFailedId = 5;
    private const int ContractViolatedId = 6;
    private const int CallbackStuckId = 7;
    private const int ReclaimerFailedId = 8;
    private const int UnchargeUnderflowId = 9;

    // WriteEventCore is marked as needing unreferenced code because a listener may decode payloads by reflection over
    // the event method's parameters; ours are strings and primitives only, which the trimmer keeps.
    private const string PrimitivePayloads = "Every payload field is a string or a primitive, which trimming keeps.";

    private ReclaimEventSource()
    {
    }

    /// <summary>The one instance: what sessions and listeners enable.</summary>
    public static ReclaimEventSource Log { get; } = new();

    /// <summary>
    /// Whether the per-shrinker events are on: one field read when the source is off (the case on the reclaim path).
    /// </summary>
    internal bool IsShrinkEnabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsEnabled() && IsEnabled(EventLevel.Verbose, Keywords.Shrink);
    }

    /// <summary>Whether the fault events are on.</summary>
    internal bool IsFaultsEnabled => IsEnabled() && IsEnabled(EventLevel.Warning, Keywords.Faults);

    /// <summary>The keywords that select groups of events.</summary>
    public static class Keywords
    {
        /// <summary><c>ShrinkStart</c> and <c>ShrinkEnd</c>: every shrinker every pass visits (Verbose).</summary>
        public const EventKeywords Shrink = (EventKeywords)0x1;

        /// <summary><c>PressureChanged</c>.</summary>
        public const EventKeywords Pressure = (EventKeywords)0x2;

        /// <summary><c>ReclaimRun</c>: each background reclaim run.</summary>
        public const EventKeywords Runs = (EventKeywords)0x4;

        /// <summary>Callback failures, contract violations, stuck callbacks, reclaimer failures, uncharge underflows.</summary>
        public const EventKeywords Faults = (EventKeywords)0x8;
    }
}
