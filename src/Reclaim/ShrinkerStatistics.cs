using System.Runtime.InteropServices;

namespace Reclaim;

/// <summary>A snapshot of one shrinker's statistics (<see cref="Shrinker.GetStatistics"/>).</summary>
/// <param name="Passes">How many times a pass ran the shrinker (counted whatever the callbacks answered).</param>
/// <param name="ObjectsScanned">Objects the shrinker reported looking at (<see cref="ShrinkControl.NrScanned"/> summed).</param>
/// <param name="ObjectsFreed">Objects the scan callback reported freeing.</param>
/// <param name="CallbackErrors">Callback calls that threw.</param>
/// <param name="ContractViolations">Callback results outside the contract (a negative count other than <see cref="Shrinker.Empty"/>, and so on).</param>
/// <param name="Deferred">Deferred work carried forward, summed over nodes.</param>
/// <param name="TimeInCallbacks">Time spent inside this shrinker's callbacks, summed over all passes.</param>
/// <param name="RunningCallbacks">How many passes are inside this shrinker's callbacks right now.</param>
/// <param name="RunningFor">
/// While <paramref name="RunningCallbacks"/> is above 0: how long callbacks of this shrinker have been running without a
/// break. A long time here is a stuck callback.
/// </param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ShrinkerStatistics(
    long Passes,
    long ObjectsScanned,
    long ObjectsFreed,
    long CallbackErrors,
    long ContractViolations,
    long Deferred,
    TimeSpan TimeInCallbacks,
    int RunningCallbacks,
    TimeSpan? RunningFor)
{
    /// <summary>
    /// What the count callback answered at the shrinker's last visit by a pass: 0 for <see cref="Shrinker.Empty"/> or
    /// a fault. For a <see cref="ShrinkerFlags.GroupAware"/> or <see cref="ShrinkerFlags.NodeAware"/> shrinker, the
    /// count of the group and node that visit asked about.
    /// </summary>
    public long LastCount { get; init; }
}
