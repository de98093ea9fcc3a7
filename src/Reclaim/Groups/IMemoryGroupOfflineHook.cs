namespace Reclaim.Groups;

/// <summary>
/// Told when a group goes offline, so that an owner of per-group lists (<c>ListLru</c>) can splice them into the parent
/// and set the parent's bits where they were non-empty (the kernel's <c>memcg_reparent_list_lrus</c>).
/// </summary>
internal interface IMemoryGroupOfflineHook
{
    /// <summary>
    /// Called under the registry's gate, after <paramref name="group"/> is marked offline and before it is unlinked,
    /// with <paramref name="parent"/> still online. Must not call back into the registry's writer operations.
    /// </summary>
    void OnGroupOffline(MemoryGroup group, MemoryGroup parent);
}
