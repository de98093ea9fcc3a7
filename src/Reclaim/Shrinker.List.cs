using Reclaim.Internal;

namespace Reclaim;

// The shrinker's links in its registry's list of registered shrinkers (the kernel's shrinker->list), an RcuList.
public sealed partial class Shrinker : IRcuListNode<Shrinker>
{
    private Shrinker? _next;

    /// <summary>The next registered shrinker, read with acquire semantics (pairs with RcuList.Append's release store).</summary>
    internal Shrinker? NextRegistered => Volatile.Read(ref _next);

    Shrinker? IRcuListNode<Shrinker>.NextNode
    {
        get => Volatile.Read(ref _next);
        set => Volatile.Write(ref _next, value);
    }

    Shrinker? IRcuListNode<Shrinker>.PreviousNode { get; set; }
}
