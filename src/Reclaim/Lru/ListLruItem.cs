namespace Reclaim.Lru;

/// <summary>
/// The base of anything kept on a <see cref="ListLru{T}"/>: the links live in the item itself (as the kernel's
/// <c>list_head</c> does), so adding, removing and rotating allocate nothing and need no search.
/// </summary>
/// <remarks>An item is on at most one list at a time; its links are owned by that list and changed only under its lock.</remarks>
public abstract class ListLruItem
{
    // All three are written only under the lock of the list the item is on (or, for _list, claimed by CAS from null).
    internal ListLruItem? LruPrevious;
    internal ListLruItem? LruNext;
    internal LruList? LruOwner;

    // True while linked into its owner's list. An item is claimed (LruOwner set by CAS) before it is linked under the
    // list's lock, so Remove and Rotate check this under the lock too: a claimed item that is not linked yet is
    // not on the list (as the kernel's list_lru_del checks list_empty under the lock).
    internal bool LruLinked;

    /// <summary>Whether the item is on a list now.</summary>
    public bool IsListed => Volatile.Read(ref LruOwner) is not null;
}
