namespace Reclaim;

/// <summary>Settings of a <see cref="ShrinkerRegistry"/>, fixed when it is made.</summary>
public sealed class ShrinkerRegistryOptions
{
    /// <summary>
    /// How many nodes reclaim distinguishes (NUMA nodes in the kernel; in a process, whatever partition
    /// <see cref="ShrinkerFlags.NodeAware"/> shrinkers keep their objects in, such as per-core shards).
    /// </summary>
    /// <value>The default value is 1.</value>
    public int NodeCount { get; set; } = 1;

    /// <summary>The clock for callback timings and stuck-callback detection.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
