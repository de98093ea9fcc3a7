using Reclaim.Groups;

namespace Reclaim.Caching;

/// <summary>Settings of a <see cref="ShrinkableArrayPool{T}"/>, read once when it is made.</summary>
public sealed class ShrinkableArrayPoolOptions
{
    /// <summary>The pool's shrinker name (shown as <c>name-id</c> in diagnostics).</summary>
    /// <value>The default value is <c>"ShrinkableArrayPool"</c>.</value>
    public string Name { get; set; } = "ShrinkableArrayPool";

    /// <summary>The registry the pool's shrinker joins.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="ShrinkerRegistry.Default"/>.</value>
    public ShrinkerRegistry? Registry { get; set; }

    /// <summary>The group idle arrays are charged to.</summary>
    /// <value>The default value is <see langword="null"/>: the registry's root group.</value>
    public MemoryGroup? Group { get; set; }

    /// <summary>The largest pooled length (a power of two); longer requests are allocated and dropped.</summary>
    /// <value>The default value is 1,048,576 (2^20).</value>
    public int MaxArrayLength { get; set; } = 1 << 20;

    /// <summary>How many idle arrays each length keeps at most.</summary>
    /// <value>The default value is 64.</value>
    public int MaxArraysPerBucket { get; set; } = 64;

    /// <summary>The cost of re-creating an idle array, as <see cref="Shrinker.Seeks"/>: an allocation, so cheap.</summary>
    /// <value>The default value is 1.</value>
    public int Seeks { get; set; } = 1;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("ShrinkableArrayPoolOptions.Name must not be empty or white space.", "options");
        }

        if (MaxArrayLength < 16 || (MaxArrayLength & (MaxArrayLength - 1)) != 0 || MaxArrayLength > 1 << 30)
        {
            throw new ArgumentException($"ShrinkableArrayPoolOptions.MaxArrayLength must be a power of two from 16 to 2^30; it is {MaxArrayLength}.", "options");
        }

        if (MaxArraysPerBucket < 1)
        {
            throw new ArgumentException($"ShrinkableArrayPoolOptions.MaxArraysPerBucket must be at least 1; it is {MaxArraysPerBucket}.", "options");
        }

        if (Seeks < 0)
        {
            throw new ArgumentException($"ShrinkableArrayPoolOptions.Seeks must not be negative; it is {Seeks}.", "options");
        }
    }
}
