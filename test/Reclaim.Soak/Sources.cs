namespace Reclaim.Soak;

/// <summary>Where reclaim came from, as the harness's shrinkers see it when they are scanned.</summary>
internal enum ReclaimSource
{
    /// <summary>Nothing marked (a harness thread that did not say what it was doing): counted, and a sign of a harness bug.</summary>
    Unattributed,

    /// <summary>The reclaimer's own thread (background reclaim).</summary>
    Background,

    /// <summary><see cref="Reclaimer.Reclaim"/> called by the harness.</summary>
    Direct,

    /// <summary>A charge (a cache add, a holder's item, an explicit charge) that crossed a group's High or the root's pressure line.</summary>
    Charge,

    /// <summary><see cref="ShrinkerRegistry.ShrinkSlab"/> over the root.</summary>
    RootPass,

    /// <summary><see cref="ShrinkerRegistry.ShrinkSlab"/> over a child group.</summary>
    GroupPass,

    /// <summary><see cref="ShrinkerRegistry.DropCaches()"/> called by the harness.</summary>
    DropCaches,

    /// <summary>A thread of the diagnostic server: the endpoint's <c>scan</c> and <c>drop-caches</c>.</summary>
    Endpoint,
}

/// <summary>What the current thread is doing, for the callbacks to attribute their scans.</summary>
internal static class SourceScope
{
    [ThreadStatic]
    private static ReclaimSource t_source;

    [ThreadStatic]
    private static bool t_harnessThread;

    /// <summary>Marks the calling thread as one of the harness's (so an unmarked scan on it is unattributed, not the endpoint's).</summary>
    public static void MarkHarnessThread() => t_harnessThread = true;

    /// <summary>Sets the source until the returned scope is disposed.</summary>
    public static Scope Enter(ReclaimSource source)
    {
        ReclaimSource previous = t_source;
        t_source = source;
        return new Scope(previous);
    }

    /// <summary>The source of a callback running on this thread now.</summary>
    public static ReclaimSource Current
    {
        get
        {
            if (t_source != ReclaimSource.Unattributed)
            {
                return t_source;
            }

            if (string.Equals(Thread.CurrentThread.Name, "Reclaim reclaimer", StringComparison.Ordinal))
            {
                return ReclaimSource.Background;
            }

            return t_harnessThread ? ReclaimSource.Unattributed : ReclaimSource.Endpoint;
        }
    }

    public readonly struct Scope(ReclaimSource previous) : IDisposable
    {
        public void Dispose() => t_source = previous;
    }
}
