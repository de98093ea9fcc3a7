using System.Diagnostics.CodeAnalysis;

namespace Reclaim.Pressure;

/// <summary>
/// Signals "measure now" after every gen2 collection, through the runtime pools' finalizer pattern
/// (<see cref="Gen2GcCallback"/>). The callback runs on the finalizer thread and only calls the signal, which records
/// and wakes; the reclaim runs on the reclaimer's thread.
/// </summary>
internal sealed class Gen2CollectionPressureSource : IMemoryPressureSource
{
    private volatile Action<MemoryPressureSignal>? _signal;

    public string Name => "gen2-gc";

    public bool TryStart(Action<MemoryPressureSignal> signal, [NotNullWhen(false)] out string? unsupportedReason)
    {
        ArgumentNullException.ThrowIfNull(signal);
        _signal = signal;
        // The callback holds this source weakly; the reclaimer holds the source, so it lives as long as the reclaimer.
        Gen2GcCallback.Register(static target => ((Gen2CollectionPressureSource)target).OnGen2(), this);
        unsupportedReason = null;
        return true;
    }

    public void Dispose() => _signal = null;

    private bool OnGen2()
    {
        Action<MemoryPressureSignal>? signal = _signal;
        signal?.Invoke(new MemoryPressureSignal(Name, MemoryPressureLevel.None));
        return signal is not null;
    }
}
