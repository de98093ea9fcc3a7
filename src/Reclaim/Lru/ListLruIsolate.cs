namespace Reclaim.Lru;

/// <summary>
/// Decides, during a <see cref="ListLru{T}"/> walk, what happens to one item (the kernel's <c>list_lru_walk_cb</c>).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <typeparam name="TState">The caller's state, passed by reference so that a walk allocates nothing (a struct, or a ref struct).</typeparam>
/// <param name="item">The item, from the cold end towards the hot end.</param>
/// <param name="state">The state the walk's caller passed.</param>
/// <returns>What to do with the item.</returns>
/// <remarks>
/// It runs with the list's lock held, so it must be short and must not block. It changes the list only through its
/// answer: an <c>Add</c>, <c>Remove</c> or walk of the same list from inside it throws
/// <see cref="InvalidOperationException"/> instead of corrupting the walk, and so does
/// <see cref="Groups.MemoryGroup.Offline"/> (which splices lists). Free what the item holds after the walk where
/// possible (collect the removed items in <paramref name="state"/>).
/// </remarks>
public delegate LruWalkResult ListLruIsolate<in T, TState>(T item, ref TState state)
    where T : ListLruItem
    where TState : allows ref struct;
