using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Reclaim.Groups;
using Reclaim.Internal;
using Reclaim.Telemetry;

namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>One report through the registry's diagnostics hook.</summary>
internal sealed record Report(string Kind, Shrinker? Shrinker, ShrinkerCallbackKind? Callback, Exception? Exception, long Value, MemoryGroup? Group = null);

/// <summary>
/// Records what the core reports through a registry's diagnostics hook (the hook logging hangs on): callback failures,
/// contract violations, uncharge underflows and reclaimer failures.
/// </summary>
internal sealed class RecordingDiagnostics : ReclaimDiagnostics
{
    private readonly ConcurrentQueue<Report> _reports = new();

    /// <summary>Makes the hook and adds it to <paramref name="registry"/>.</summary>
    public static RecordingDiagnostics On(ShrinkerRegistry registry)
    {
        var hook = new RecordingDiagnostics();
        registry.AddDiagnostics(hook);
        return hook;
    }

    public IReadOnlyList<Report> All => [.. _reports];

    public IReadOnlyList<Report> Failures => [.. _reports.Where(r => r.Kind == nameof(CallbackFailed))];

    public IReadOnlyList<Report> Violations => [.. _reports.Where(r => r.Kind == nameof(ContractViolated))];

    public IReadOnlyList<Report> Underflows => [.. _reports.Where(r => r.Kind == nameof(UnchargeUnderflow))];

    public IReadOnlyList<Report> ReclaimerFailures => [.. _reports.Where(r => r.Kind == nameof(ReclaimerFailed))];

    public IReadOnlyList<Report> Of(Shrinker shrinker) => [.. _reports.Where(r => ReferenceEquals(r.Shrinker, shrinker))];

    public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception) =>
        _reports.Enqueue(new Report(nameof(CallbackFailed), shrinker, kind, exception, 0));

    public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value) =>
        _reports.Enqueue(new Report(nameof(ContractViolated), shrinker, kind, null, value));

    public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes) =>
        _reports.Enqueue(new Report(nameof(UnchargeUnderflow), null, null, null, bytes, group));

    public override void ReclaimerFailed(Exception exception) =>
        _reports.Enqueue(new Report(nameof(ReclaimerFailed), null, null, exception, 0));
}

/// <summary>
/// An in-process session on <see cref="ReclaimEventSource"/>'s fault events (Warning and above, the Faults keyword).
/// Events are written on the thread that reports them, so they are here when the reporting call returns. The source
/// is process-wide: read the events of one shrinker by its (unique) name.
/// </summary>
internal sealed class FaultEvents : EventListener
{
    private readonly ConcurrentQueue<EventWrittenEventArgs> _events = new();

    public FaultEvents()
    {
        EnableEvents(ReclaimEventSource.Log, EventLevel.Warning, ReclaimEventSource.Keywords.Faults);
    }

    /// <summary>The events named <paramref name="name"/> about shrinker <paramref name="shrinker"/>, in the order written.</summary>
    public IReadOnlyList<EventWrittenEventArgs> Of(string name, string shrinker) =>
        [.. _events.Where(e => e.EventName == name && Equals(Field(e, "shrinker"), shrinker))];

    /// <summary>The events named <paramref name="name"/> whose <paramref name="field"/> is <paramref name="value"/>.</summary>
    public IReadOnlyList<EventWrittenEventArgs> Where(string name, string field, object value) =>
        [.. _events.Where(e => e.EventName == name && Equals(Field(e, field), value))];

    /// <summary>Waits until an event named <paramref name="name"/> about <paramref name="shrinker"/> arrives; fails after <paramref name="timeout"/>.</summary>
    public EventWrittenEventArgs WaitFor(string name, string shrinker, TimeSpan timeout)
    {
        EventWrittenEventArgs? found = null;
        bool arrived = SpinWait.SpinUntil(
            () =>
            {
                IReadOnlyList<EventWrittenEventArgs> of = Of(name, shrinker);
                found = of.Count > 0 ? of[0] : null;
                if (found is null)
                {
                    Thread.Sleep(10);
                }

                return found is not null;
            },
            timeout);
        Assert.True(arrived, $"no {name} event for {shrinker} within {timeout.TotalSeconds} s");
        return found!;
    }

    public static object? Field(EventWrittenEventArgs e, string name)
    {
        int index = e.PayloadNames?.IndexOf(name) ?? -1;
        return index >= 0 ? e.Payload![index] : null;
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource == ReclaimEventSource.Log)
        {
            _events.Enqueue(eventData);
        }
    }
}
