using System.Diagnostics.CodeAnalysis;
using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim.Tests.Reclaiming;

/// <summary>A pressure source the test raises by hand.</summary>
internal sealed class ManualSource(string name, string? unsupportedReason = null, Exception? startFailure = null) : IMemoryPressureSource
{
    private Action<MemoryPressureSignal>? _signal;

    public string Name => name;

    public bool Disposed { get; private set; }

    public bool TryStart(Action<MemoryPressureSignal> signal, [NotNullWhen(false)] out string? reason)
    {
        if (startFailure is not null)
        {
            throw startFailure;
        }

        reason = unsupportedReason;
        _signal = signal;
        return reason is null;
    }

    public void Raise(MemoryPressureLevel level) => _signal!(new MemoryPressureSignal(name, level));

    public void Dispose() => Disposed = true;
}

/// <summary>Records what the core reports through its diagnostics hook.</summary>
internal sealed class RecordingDiagnostics : ReclaimDiagnostics
{
    public List<Exception> ReclaimerFailures { get; } = [];

    public override void ReclaimerFailed(Exception exception)
    {
        lock (ReclaimerFailures)
        {
            ReclaimerFailures.Add(exception);
        }
    }
}
