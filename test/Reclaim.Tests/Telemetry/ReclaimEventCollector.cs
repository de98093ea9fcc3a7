using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Reclaim.Telemetry;

namespace Reclaim.Tests.Telemetry;

/// <summary>
/// An in-process session on <see cref="ReclaimEventSource"/> at the level and keywords a test asks for. Events are
/// dispatched on the thread that writes them, so a test reads them as soon as the call that wrote them returns.
/// </summary>
internal sealed class ReclaimEventCollector : EventListener
{
    private readonly ConcurrentQueue<EventWrittenEventArgs> _events = new();

    public ReclaimEventCollector(EventLevel level, EventKeywords keywords = EventKeywords.All)
    {
        // Enabled here, not in OnEventSourceCreated: that runs from the base constructor, before this one.
        EnableEvents(ReclaimEventSource.Log, level, keywords);
    }

    /// <summary>Every event named <paramref name="name"/>, in the order written.</summary>
    public IReadOnlyList<EventWrittenEventArgs> Named(string name) => [.. _events.Where(e => e.EventName == name)];

    /// <summary>The events of one shrinker (by its name: the event source is process-wide, other tests' shrinkers write too).</summary>
    public IReadOnlyList<EventWrittenEventArgs> Of(string name, string shrinker) =>
        [.. Named(name).Where(e => Equals(Field(e, "shrinker"), shrinker))];

    public IReadOnlyList<EventWrittenEventArgs> All => [.. _events];

    /// <summary>A payload field by name.</summary>
    public static object? Field(EventWrittenEventArgs e, string name)
    {
        int index = e.PayloadNames!.IndexOf(name);
        Assert.True(index >= 0, $"event {e.EventName} has no field '{name}' (it has {string.Join(", ", e.PayloadNames)})");
        return e.Payload![index];
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource == ReclaimEventSource.Log)
        {
            _events.Enqueue(eventData);
        }
    }
}

/// <summary>
/// Tests that turn the process-wide event source on, or measure allocations that any session would change, run alone:
/// no other test's passes or listeners overlap them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "ReclaimEventSource";
}
