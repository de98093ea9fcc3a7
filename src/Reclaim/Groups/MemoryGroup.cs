namespace Reclaim.Groups;

/// <summary>
/// A group of caches with its own memory budget: the kernel's <c>struct mem_cgroup</c>. Every registry has a root
/// group (<see cref="ShrinkerRegistry.Root"/>); a root pass reclaims from every shrinker.
/// </summary>
public sealed class MemoryGroup
{
    private MemoryGroup(ShrinkerRegistry registry, long id, string name, MemoryGroup? parent)
    {
        Registry = registry;
        Id = id;
        Name = name;
        Parent = parent;
    }

    /// <summary>The registry the group belongs to.</summary>
    public ShrinkerRegistry Registry { get; }

    /// <summary>A number unique in the registry and never reused, like a cgroup's inode number. The root's is 1.</summary>
    public long Id { get; }

    /// <summary>The group's name among its siblings; empty for the root.</summary>
    public string Name { get; }

    /// <summary>The parent group, or <see langword="null"/> for the root.</summary>
    public MemoryGroup? Parent { get; }

    /// <summary>Whether this is its registry's root group.</summary>
    public bool IsRoot => Parent is null;

    /// <summary>The path from the root, as in a cgroup hierarchy: <c>/</c> for the root.</summary>
    public string Path => IsRoot ? "/" : Parent!.IsRoot ? "/" + Name : Parent.Path + "/" + Name;

    /// <summary>The group's <see cref="Path"/>.</summary>
    /// <returns>The path from the root.</returns>
    public override string ToString() => Path;

    internal static MemoryGroup CreateRoot(ShrinkerRegistry registry) => new(registry, 1, string.Empty, null);
}
