using System.Diagnostics;
using Reclaim.Internal;

namespace Reclaim;

// The lifetime protocol (kernel 6.7 shrinker_register / shrinker_try_get / shrinker_put / shrinker_free).
//
// _refCount: 0 from Alloc until Register has published the shrinker; then 1 (the initial reference) while
// registered; +1 for each pass holding the shrinker. Passes take a reference with "increment if not zero" and
// then check _state, so once Free has moved _state to Freeing no new call starts, and Free waits only for the
// calls already in flight (never for whole passes, never for other shrinkers).
//
// _state moves Allocated -> Registered -> Freeing -> Freed, or Allocated -> Freed; every move but
// Freeing -> Freed is made under the registry's writer gate, so Register and Free never interleave.
public sealed partial class Shrinker
{
    private int _state; // ShrinkerState
    private int _refCount;

    // Signalled by the Release that takes _refCount to 0. Written before Free drops the initial reference:
    // Free's Interlocked.Decrement is a full fence, so whichever Release reaches 0 sees the completion.
    private TaskCompletionSource? _drained;

    /// <summary>Where the shrinker is in its life.</summary>
    public ShrinkerState State => (ShrinkerState)Volatile.Read(ref _state);

    /// <summary>Whether the shrinker is registered and callable by passes (and <see cref="Free"/> has not begun).</summary>
    public bool IsRegistered => State == ShrinkerState.Registered;

    /// <summary>The reference count: 0 before registration and after <see cref="Free"/>; 1 plus the passes in flight while registered.</summary>
    internal int ReferenceCount => Volatile.Read(ref _refCount);

    /// <summary>
    /// Makes the shrinker visible to reclaim (<c>shrinker_register</c>): links it into its registry, then sets its
    /// reference count to 1. From then on, passes on any thread may call its callbacks.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// A callback is missing, the shrinker is already registered, or it has been freed.
    /// </exception>
    public void Register() => Registry.Register(this);

    /// <summary>
    /// Ends the shrinker (<c>shrinker_free</c>), registered or not: no new call into it starts, every call already
    /// running is waited for, then it is unlinked and its <see cref="DebugId"/> released. When this returns, no
    /// callback of this shrinker runs and none ever will. Calling it again, or from several threads, is safe: each
    /// call returns only once the shrinker is freed.
    /// </summary>
    /// <remarks>
    /// It waits only for the calls into this shrinker, never for whole passes; a callback of this shrinker that hangs
    /// makes it wait as long. Use <see cref="FreeAsync(CancellationToken)"/> to wait without blocking a thread.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from inside one of this shrinker's own callbacks (it would wait for itself).</exception>
    public void Free()
    {
        Task? drained = BeginFree();
        if (drained is not null)
        {
            drained.Wait();
            Registry.FinishFree(this);
        }
    }

    /// <summary>
    /// Does what <see cref="Free"/> does, waiting for the calls in flight without blocking a thread.
    /// </summary>
    /// <param name="cancellationToken">
    /// Stops the wait. The shrinker then stays <see cref="ShrinkerState.Freeing"/>: never called again, and freed by the
    /// next <see cref="Free"/> or <see cref="FreeAsync(CancellationToken)"/>.
    /// </param>
    /// <returns>A task that completes when the shrinker is freed.</returns>
    /// <exception cref="InvalidOperationException">Called from inside one of this shrinker's own callbacks.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the calls in flight returned.</exception>
    public async Task FreeAsync(CancellationToken cancellationToken = default)
    {
        Task? drained = BeginFree();
        if (drained is not null)
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            Registry.FinishFree(this);
        }
    }

    /// <summary>The same as <see cref="Free"/>.</summary>
    public void Dispose() => Free();

    /// <summary>
    /// Takes a reference for a pass (<c>shrinker_try_get</c>). Fails before registration has completed, and once
    /// <see cref="Free"/> has begun.
    /// </summary>
    internal bool TryAcquire()
    {
        // 1. Increment if not zero. The CAS pairs with Register's Volatile.Write(_refCount, 1) (a count read as 0 means
        //    not yet published: skip) and with Free's decrement (a count that reached 0 never rises again).
        int count = Volatile.Read(ref _refCount);
        while (true)
        {
            if (count == 0)
            {
                return false;
            }

            SchedulingPoints.Interleave();
            int seen = Interlocked.CompareExchange(ref _refCount, count + 1, count);
            if (seen == count)
            {
                break;
            }

            count = seen;
        }

        // 2. Refuse if Free has begun. Free writes _state = Freeing (under the gate, then a full fence through its
        //    Interlocked.Decrement) before dropping the initial reference; our CAS above is also a full fence. So either
        //    we see Freeing here and back off, or our increment came first and Free's wait includes us.
        SchedulingPoints.Interleave();
        if (Volatile.Read(ref _state) != (int)ShrinkerState.Registered)
        {
            Release();
            return false;
        }

        return true;
    }

    /// <summary>Drops a reference (<c>shrinker_put</c>); the one that reaches 0 signals the waiting <see cref="Free"/>.</summary>
    internal void Release()
    {
        SchedulingPoints.Interleave();
        int count = Interlocked.Decrement(ref _refCount);
        Debug.Assert(count >= 0, $"Shrinker '{this}' reference count went below zero.");
        if (count == 0)
        {
            // Only reachable after Free dropped the initial reference, which it does after writing _drained.
            Volatile.Read(ref _drained)!.TrySetResult();
        }
    }

    /// <summary>Publishes the registered state and then the initial reference. Called under the registry's gate, after linking.</summary>
    internal void MarkRegistered()
    {
        Volatile.Write(ref _state, (int)ShrinkerState.Registered);
        SchedulingPoints.Interleave();
        Registry.OnPublishedForTest?.Invoke(this);

        // From here on passes may call us (pairs with the CAS in TryAcquire).
        Volatile.Write(ref _refCount, 1);
    }

    /// <summary>Marks the shrinker freed. Called under the registry's gate.</summary>
    internal void MarkFreed() => Volatile.Write(ref _state, (int)ShrinkerState.Freed);

    /// <summary>
    /// First half of Free: moves the state, drops the initial reference. Returns the task to wait on before
    /// <see cref="ShrinkerRegistry.FinishFree(Shrinker)"/>, or null when the shrinker is already freed.
    /// </summary>
    private Task? BeginFree()
    {
        if (CallbackScope.IsInside(this))
        {
            Throw.InvalidOperation(
                $"Shrinker '{this}' cannot be freed from inside its own callback: Free waits for every call into the shrinker to return, so it would wait for itself. Free it from another thread, after the pass.");
        }

        TaskCompletionSource? drained;
        bool dropInitialReference;
        lock (Registry.Gate)
        {
            switch (State)
            {
                case ShrinkerState.Allocated:
                    Registry.ReleaseIds(this);
                    MarkFreed();
                    return null;
                case ShrinkerState.Freed:
                    return null;
                case ShrinkerState.Freeing:
                    drained = _drained!;
                    dropInitialReference = false;
                    break;
                default:
                    Volatile.Write(ref _state, (int)ShrinkerState.Freeing);
                    SchedulingPoints.Interleave();

                    // Fast path: no pass holds the shrinker, so take the count from 1 (the initial reference) to 0
                    // ourselves; nothing to wait for. The CAS is a full fence after the state write: a pass that
                    // increments after it finds 0 and skips; one that incremented before it makes the CAS fail.
                    if (Interlocked.CompareExchange(ref _refCount, 0, 1) == 1)
                    {
                        Registry.FinishFree(this);
                        return null;
                    }

                    drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    Volatile.Write(ref _drained, drained);
                    dropInitialReference = true;
                    break;
            }
        }

        if (dropInitialReference)
        {
            SchedulingPoints.Interleave();
            Release();
        }

        return drained.Task;
    }
}
