using System.Runtime.InteropServices;

namespace Reclaim.Pressure;

/// <summary>
/// Calls back after every gen2 garbage collection, the way the runtime's own pools learn about memory pressure: an
/// unreferenced object whose finalizer runs after each gen2 collection and re-registers itself. It holds its target
/// weakly, so it never keeps the target alive, and stops once the target is collected or the callback returns false.
/// </summary>
/// <remarks>
/// The callback runs on the finalizer thread: it must only record and wake (set an event, write a field), never run
/// user code or block, or it delays every finalizer in the process. The reclaimer does its work on its own thread.
/// </remarks>
internal sealed class Gen2GcCallback
{
    private readonly Func<object, bool> _callback;
    // A raw weak handle, not a WeakReference: a WeakReference has a finalizer of its own, which would run in the same
    // finalization pass as ours (both become unreachable together) and could free the handle before we read it.
    private GCHandle _target;

    private Gen2GcCallback(Func<object, bool> callback, object target)
    {
        _callback = callback;
        _target = GCHandle.Alloc(target, GCHandleType.Weak);
    }

    /// <summary>Starts calling <paramref name="callback"/> with <paramref name="target"/> after each gen2 collection.</summary>
    /// <param name="callback">Records and wakes; returns false to stop.</param>
    /// <param name="target">Held weakly: when it is collected, the callbacks stop.</param>
    public static void Register(Func<object, bool> callback, object target)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentNullException.ThrowIfNull(target);

        // Not stored anywhere: unreachable at once, so the next collection finalizes it (and it re-registers).
        _ = new Gen2GcCallback(callback, target);
    }

    ~Gen2GcCallback()
    {
        object? target = _target.Target;
        bool keepGoing = false;
        if (target is not null)
        {
            try
            {
                keepGoing = _callback(target);
            }
#pragma warning disable CA1031 // An exception escaping a finalizer kills the process; a failing callback just stops.
            catch (Exception)
#pragma warning restore CA1031
            {
                keepGoing = false;
            }
        }

        if (keepGoing && !Environment.HasShutdownStarted)
        {
            // Resurrect for the next gen2: finalizable objects are promoted, so this runs again only after a gen2.
            GC.ReRegisterForFinalize(this);
        }
        else
        {
            _target.Free();
        }
    }
}
