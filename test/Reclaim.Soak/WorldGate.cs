namespace Reclaim.Soak;

/// <summary>
/// Lets the checker see the harness's state at rest: every harness operation (and every callback of the harness's own
/// shrinkers) runs inside the gate, and <see cref="TryPause"/> waits until no thread is inside and keeps new ones out.
/// Re-entrant per thread, so a callback run by a pass that a harness thread started inside the gate goes straight in.
/// </summary>
/// <remarks>
/// Nothing that waits for a callback may run inside the gate: <see cref="Shrinker.Free"/> waits for the calls in
/// flight, and a call held at the gate by a pause would wait for the freeing thread to leave. The harness frees
/// shrinkers outside the gate. The library's own callbacks (the caches') do not use the gate, so the reclaimer and the
/// endpoint keep reclaiming from caches during a pause; checks that involve caches tolerate that (see Invariants).
/// </remarks>
internal sealed class WorldGate
{
    [ThreadStatic]
    private static int t_depth;

    private readonly object _lock = new(); // Monitor.Wait needs a plain object, not a Lock
    private int _inside;
    private bool _paused;

    /// <summary>Whether the calling thread is inside the gate.</summary>
    public static bool IsInside => t_depth > 0;

    /// <summary>Enters; waits while the world is paused (unless this thread is already inside).</summary>
    public void Enter()
    {
        if (t_depth++ > 0)
        {
            return;
        }

        lock (_lock)
        {
            while (_paused)
            {
                Monitor.Wait(_lock);
            }

            _inside++;
        }
    }

    /// <summary>Leaves (the outermost exit lets a waiting pause go on).</summary>
    public void Exit()
    {
        if (--t_depth > 0)
        {
            return;
        }

        lock (_lock)
        {
            if (--_inside == 0 && _paused)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> inside the gate.</summary>
    public void Run(Action action)
    {
        Enter();
        try
        {
            action();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Keeps new threads out and waits until none is inside; false (and not paused) after <paramref name="timeout"/>.</summary>
    public bool TryPause(TimeSpan timeout)
    {
        if (IsInside)
        {
            throw new InvalidOperationException("A thread inside the gate cannot pause the world: it would wait for itself.");
        }

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            _paused = true;
            while (_inside > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    _paused = false;
                    Monitor.PulseAll(_lock);
                    return false;
                }

                Monitor.Wait(_lock, (int)left);
            }

            return true;
        }
    }

    /// <summary>Lets the world go on.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _paused = false;
            Monitor.PulseAll(_lock);
        }
    }
}
