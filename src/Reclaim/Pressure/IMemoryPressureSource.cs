using System.Diagnostics.CodeAnalysis;

namespace Reclaim.Pressure;

/// <summary>
/// Something that notices memory pressure (a gen2 collection, a cgroup event, a PSI trigger, anything of the
/// application's own) and tells the <see cref="Reclaimer"/>. A source knows nothing of the reclaimer: it only calls the
/// callback it was started with.
/// </summary>
/// <remarks>
/// The callback is cheap and never blocks (it records the signal and wakes the reclaimer's thread), so a source may call
/// it from any thread, a finalizer or a native wait included; the reclaim itself runs on the reclaimer's thread.
/// <see cref="IDisposable.Dispose"/> stops the source: after it returns, the callback is not called again.
/// </remarks>
public interface IMemoryPressureSource : IDisposable
{
    /// <summary>A short name for logs and statistics, such as <c>psi</c> or <c>gen2-gc</c>.</summary>
    string Name { get; }

    /// <summary>Starts watching, or says why it cannot here (no such file, not Linux, not permitted).</summary>
    /// <param name="signal">What to call on pressure; cheap and non-blocking, callable from any thread.</param>
    /// <param name="unsupportedReason">When it returns <see langword="false"/>: one line saying why, for the log.</param>
    /// <returns><see langword="true"/> when watching; <see langword="false"/> when this source cannot run here.</returns>
    bool TryStart(Action<MemoryPressureSignal> signal, [NotNullWhen(false)] out string? unsupportedReason);
}
