using System.Runtime.CompilerServices;

namespace Reclaim.Internal;

/// <summary>
/// Which shrinkers each thread is inside, and since when (a pass may run inside a callback of another pass, so each
/// thread has a stack of frames). The owning thread pushes and pops without any atomic operation; other threads read
/// the frames to tell which callbacks are running now and for how long (stuck-callback detection), and
/// <see cref="Shrinker.Free"/> reads its own thread's frames to refuse waiting for itself.
/// </summary>
/// <remarks>
/// Observers read another thread's frames without synchronisation: they may see a frame pushed or popped a moment
/// late, or a slot of an array being replaced by a larger one. Accepted: the result is a statistic, exact at rest and
/// off by at most the calls entering or leaving at that instant. Keeping this off the interlocked path saves two
/// compare-and-swaps per shrinker visited.
/// </remarks>
internal sealed class CallbackScope
{
    private static readonly object s_gate = new();
    private static CallbackScope[] s_all = [];

    [ThreadStatic]
    private static CallbackScope? t_current;

    private readonly WeakReference<Thread> _owner = new(Thread.CurrentThread);
    private Shrinker?[] _shrinkers = new Shrinker?[8];
    private long[] _since = new long[8];
    private int _depth;

    /// <summary>Whether this thread is inside any shrinker's callback.</summary>
    public static bool IsActive => t_current is { } scope && scope._depth > 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Enter(Shrinker shrinker, long nowMs)
    {
        CallbackScope scope = t_current ?? Register();
        int depth = scope._depth;
        if (depth == scope._shrinkers.Length)
        {
            scope.Grow();
        }

        scope._since[depth] = nowMs;
        scope._shrinkers[depth] = shrinker;

        // Release: an observer that reads the new depth sees the frame's shrinker and start.
        Volatile.Write(ref scope._depth, depth + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exit()
    {
        CallbackScope scope = t_current!;
        int depth = scope._depth - 1;
        Volatile.Write(ref scope._depth, depth);
        scope._shrinkers[depth] = null;
    }

    /// <summary>Whether the calling thread is inside <paramref name="shrinker"/>'s callback.</summary>
    public static bool IsInside(Shrinker shrinker)
    {
        CallbackScope? scope = t_current;
        if (scope is null)
        {
            return false;
        }

        for (int i = scope._depth - 1; i >= 0; i--)
        {
            if (ReferenceEquals(scope._shrinkers[i], shrinker))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How many frames on all threads are inside <paramref name="shrinker"/>, and the earliest start among them.</summary>
    public static int Running(Shrinker shrinker, out long earliestMs)
    {
        earliestMs = long.MaxValue;
        int running = 0;
        foreach (CallbackScope scope in Volatile.Read(ref s_all))
        {
            int depth = Volatile.Read(ref scope._depth);
            Shrinker?[] shrinkers = scope._shrinkers;
            long[] since = scope._since;
            for (int i = 0; i < depth && i < shrinkers.Length && i < since.Length; i++)
            {
                if (ReferenceEquals(shrinkers[i], shrinker))
                {
                    running++;
                    earliestMs = Math.Min(earliestMs, since[i]);
                }
            }
        }

        return running;
    }

    /// <summary>
    /// Adds every frame on every thread now (its shrinker and start) to <paramref name="frames"/>: what the
    /// stuck-callback monitor looks at. Read as <see cref="Running"/> reads, with the same accepted races.
    /// </summary>
    public static void CollectFrames(List<(Shrinker Shrinker, long SinceMs)> frames)
    {
        foreach (CallbackScope scope in Volatile.Read(ref s_all))
        {
            int depth = Volatile.Read(ref scope._depth);
            Shrinker?[] shrinkers = scope._shrinkers;
            long[] since = scope._since;
            for (int i = 0; i < depth && i < shrinkers.Length && i < since.Length; i++)
            {
                if (shrinkers[i] is { } shrinker)
                {
                    frames.Add((shrinker, since[i]));
                }
            }
        }
    }

    // Once per thread that ever runs a pass: not on the steady reclaim path. Scopes of threads that have ended are
    // dropped here, so the list follows the live threads.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CallbackScope Register()
    {
        var scope = new CallbackScope();
        lock (s_gate)
        {
            var live = new List<CallbackScope>(s_all.Length + 1) { scope };
            foreach (CallbackScope other in s_all)
            {
                if (other._owner.TryGetTarget(out Thread? thread) && thread.IsAlive)
                {
                    live.Add(other);
                }
            }

            Volatile.Write(ref s_all, [.. live]);
        }

        t_current = scope;
        return scope;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        // Since first, then shrinkers: an observer reading a shrinker from the new array finds its start too.
        long[] since = new long[_since.Length * 2];
        Array.Copy(_since, since, _since.Length);
        Shrinker?[] shrinkers = new Shrinker?[_shrinkers.Length * 2];
        Array.Copy(_shrinkers, shrinkers, _shrinkers.Length);
        Volatile.Write(ref _since, since);
        Volatile.Write(ref _shrinkers, shrinkers);
    }
}
