namespace Reclaim;

// The shrinker's links in its registry's list of registered shrinkers (the kernel's shrinker->list).
public sealed partial class Shrinker
{
    // Read by passes without a lock (Volatile.Read), written only under the registry's gate (Volatile.Write).
    // Unlinking leaves _next as it was, as list_del_rcu does, so a pass standing on this shrinker when it is
    // unlinked still walks on to live shrinkers; the garbage collector keeps everything it can reach alive.
    private Shrinker? _next;

    /// <summary>Written and read under the gate only: passes never walk backwards.</summary>
    internal Shrinker? PreviousRegistered { get; set; }

    internal Shrinker? NextRegistered
    {
        get => Volatile.Read(ref _next);
        set => Volatile.Write(ref _next, value);
    }
}
