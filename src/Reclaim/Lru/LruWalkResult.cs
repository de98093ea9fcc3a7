namespace Reclaim.Lru;

/// <summary>What an isolate callback decided about one item of a <see cref="ListLru{T}"/> walk (the kernel's <c>enum lru_status</c>).</summary>
public enum LruWalkResult
{
    /// <summary>Take the item off the list (it is being freed). The walk goes on with the next item.</summary>
    Removed,

    /// <summary>Take the item off the list, then restart the walk from the cold end.</summary>
    RemovedRetry,

    /// <summary>The item was used recently: move it to the hot end. The walk goes on.</summary>
    Rotate,

    /// <summary>The item is busy: leave it where it is. The walk goes on.</summary>
    Skip,

    /// <summary>Leave the item and restart the walk from the cold end (the budget still falls, so this cannot loop forever).</summary>
    Retry,

    /// <summary>Leave the item and end the walk.</summary>
    Stop,
}
