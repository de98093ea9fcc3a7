using System.Collections.Concurrent;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure.Sources;

/// <summary>
/// The callback a test hands a pressure source: records each signal and releases a semaphore, so a test waits for a
/// signal with a timeout instead of sleeping; once <see cref="Seal"/>ed (right after the source's Dispose returned) any
/// further call is counted as late, which the Dispose contract forbids.
/// </summary>
internal sealed class SignalRecorder : IDisposable
{
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly ConcurrentQueue<MemoryPressureSignal> _signals = new();
    private volatile bool _sealed;
    private int _late;

    public Action<MemoryPressureSignal> Signal => OnSignal;

    /// <summary>Every signal so far, in order.</summary>
    public IReadOnlyList<MemoryPressureSignal> All => [.. _signals];

    /// <summary>Calls that came after <see cref="Seal"/>.</summary>
    public int Late => Volatile.Read(ref _late);

    /// <summary>Waits for the next signal not yet waited for; fails the test after <paramref name="timeout"/> (default <see cref="Threaded.Timeout"/>).</summary>
    public async Task WaitAsync(string what, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? Threaded.Timeout;
        Assert.True(await _arrived.WaitAsync(limit, TestContext.Current.CancellationToken), $"no signal within {limit.TotalSeconds} s: {what}");
    }

    /// <summary>Waits until a signal that satisfies <paramref name="match"/> has arrived; fails the test after <see cref="Threaded.Timeout"/>.</summary>
    public async Task WaitForAsync(Func<MemoryPressureSignal, bool> match, string what)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(Threaded.Timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!_signals.Any(match))
        {
            TimeSpan left = TimeProvider.System.GetElapsedTime(TimeProvider.System.GetTimestamp(), deadline);
            Assert.True(
                left > TimeSpan.Zero && await _arrived.WaitAsync(left, TestContext.Current.CancellationToken),
                $"no such signal within {Threaded.Timeout.TotalSeconds} s: {what}; got [{string.Join(", ", All)}]");
        }
    }

    /// <summary>Marks the source disposed: from now on a call is a broken promise.</summary>
    public void Seal() => _sealed = true;

    public void Dispose() => _arrived.Dispose();

    private void OnSignal(MemoryPressureSignal signal)
    {
        if (_sealed)
        {
            Interlocked.Increment(ref _late);
        }

        _signals.Enqueue(signal);
        _arrived.Release();
    }
}
