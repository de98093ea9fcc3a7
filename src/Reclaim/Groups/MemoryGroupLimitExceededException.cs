namespace Reclaim.Groups;

/// <summary>
/// Thrown by <see cref="MemoryGroup.Charge(long)"/> when a charge would take a group above its
/// <see cref="MemoryGroup.Max"/> even after reclaim. Nothing was charged.
/// </summary>
public sealed class MemoryGroupLimitExceededException : Exception
{
    /// <summary>Makes the exception with a default message.</summary>
    public MemoryGroupLimitExceededException()
        : base("A memory group's limit was exceeded.")
    {
    }

    /// <summary>Makes the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What happened.</param>
    public MemoryGroupLimitExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Makes the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public MemoryGroupLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Makes the exception for a refused charge.</summary>
    /// <param name="group">The group whose limit refused the charge.</param>
    /// <param name="usage">The group's usage when it refused.</param>
    /// <param name="limit">The group's <see cref="MemoryGroup.Max"/>.</param>
    /// <param name="requested">The bytes the charge asked for.</param>
    public MemoryGroupLimitExceededException(MemoryGroup group, long usage, long limit, long requested)
        : base($"Charging {requested:N0} bytes would take memory group '{group?.Path}' to {usage + requested:N0} bytes, above its Max of {limit:N0} bytes (usage {usage:N0} bytes after reclaim).")
    {
        Group = group;
        Usage = usage;
        Limit = limit;
        Requested = requested;
    }

    /// <summary>The group whose limit refused the charge.</summary>
    public MemoryGroup? Group { get; }

    /// <summary>The group's usage, in bytes, when it refused.</summary>
    public long Usage { get; }

    /// <summary>The group's <see cref="MemoryGroup.Max"/>, in bytes.</summary>
    public long Limit { get; }

    /// <summary>The bytes the refused charge asked for.</summary>
    public long Requested { get; }
}
