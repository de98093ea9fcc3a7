using Reclaim.Pressure;
using Reclaim.Telemetry;

namespace Reclaim;

// Pressure levels: readable at any time, published on change through an event and IObservable.
public sealed partial class Reclaimer
{
    private readonly object _observersGate = new();
    private IObserver<MemoryPressureLevel>[] _observers = [];

    /// <summary>
    /// Raised on the reclaimer's thread when <see cref="Level"/> changes. Keep handlers short; an exception from one is
    /// caught and reported, and the others still run.
    /// </summary>
    public event EventHandler<MemoryPressureChange>? PressureChanged;

    /// <summary>Subscribes to pressure levels: the current level at once, then every change, on the reclaimer's thread.</summary>
    /// <param name="observer">Receives the levels; <see cref="IObserver{T}.OnCompleted"/> when the reclaimer is disposed.</param>
    /// <returns>Dispose it to unsubscribe.</returns>
    public IDisposable Subscribe(IObserver<MemoryPressureLevel> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observersGate)
        {
            // Copy-on-write: publishing reads the array without the lock.
            _observers = [.. _observers, observer];
        }

        observer.OnNext(Level);
        return new Subscription(this, observer);
    }

    private void UpdateLevel(long usage, long limit)
    {
        MemoryPressureLevel previous = _tracker.Level;
        MemoryPressureLevel current = _tracker.Update(usage, limit);
        if (current == previous)
        {
            return;
        }

        ReclaimEventSource.Log.OnPressureChanged(previous, current, usage, limit);
        Raise(PressureChanged, new MemoryPressureChange(previous, current, usage, limit));

        foreach (IObserver<MemoryPressureLevel> observer in Volatile.Read(ref _observers))
        {
            try
            {
                observer.OnNext(current);
            }
#pragma warning disable CA1031 // A failing subscriber must not stop reclaim.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Registry.Reporter.ReclaimerFailed(exception);
            }
        }
    }

    /// <summary>Raises an event; a handler that throws is reported, and reclaim goes on.</summary>
    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
#pragma warning disable CA1031 // A failing subscriber must not stop reclaim.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Registry.Reporter.ReclaimerFailed(exception);
        }
    }

    private void CompleteObservers()
    {
        IObserver<MemoryPressureLevel>[] observers;
        lock (_observersGate)
        {
            observers = _observers;
            _observers = [];
        }

        foreach (IObserver<MemoryPressureLevel> observer in observers)
        {
            try
            {
                observer.OnCompleted();
            }
#pragma warning disable CA1031 // Disposal goes on through the other subscribers.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Registry.Reporter.ReclaimerFailed(exception);
            }
        }
    }

    private void Unsubscribe(IObserver<MemoryPressureLevel> observer)
    {
        lock (_observersGate)
        {
            int index = Array.IndexOf(_observers, observer);
            if (index >= 0)
            {
                _observers = [.. _observers.AsSpan(0, index), .. _observers.AsSpan(index + 1)];
            }
        }
    }

    private sealed class Subscription(Reclaimer reclaimer, IObserver<MemoryPressureLevel> observer) : IDisposable
    {
        private Reclaimer? _reclaimer = reclaimer;

        public void Dispose() => Interlocked.Exchange(ref _reclaimer, null)?.Unsubscribe(observer);
    }
}
