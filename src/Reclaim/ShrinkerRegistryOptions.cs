using Reclaim.Internal;

namespace Reclaim;

/// <summary>Settings of a <see cref="ShrinkerRegistry"/>, fixed when it is made.</summary>
public sealed class ShrinkerRegistryOptions
{
    /// <summary>
    /// How many nodes reclaim distinguishes (NUMA nodes in the kernel; in a process, whatever partition
    /// <see cref="ShrinkerFlags.NodeAware"/> shrinkers keep their objects in, such as per-core shards).
    /// </summary>
    /// <value>
    /// The default value is the machine's NUMA node count: on Linux the highest node listed in
    /// <c>/sys/devices/system/node/online</c> plus one; 1 elsewhere or when it cannot be read.
    /// </value>
    public int NodeCount { get; set; } = NodeTopology.OnlineNodeCount;

    /// <summary>The clock for callback timings and stuck-callback detection.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How long a shrinker's callbacks may run without a break before
    /// <see cref="Telemetry.ReclaimEventSource"/> reports them stuck (<c>CallbackStuck</c>, checked once a second while a
    /// session listens to its fault events). Every moment a callback blocks is a moment reclaim is stalled.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan StuckCallbackThreshold { get; set; } = TimeSpan.FromSeconds(5);
}
