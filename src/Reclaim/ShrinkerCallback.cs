namespace Reclaim;

/// <summary>
/// A shrinker's count or scan callback: the kernel's <c>count_objects</c> and <c>scan_objects</c>.
/// </summary>
/// <param name="shrinker">The shrinker being called; its <see cref="Shrinker.PrivateData"/> holds the owner's state.</param>
/// <param name="control">
/// What the pass asks: the node and group, and for a scan how many objects to look at
/// (<see cref="ShrinkControl.NrToScan"/>). A scan may lower or raise <see cref="ShrinkControl.NrScanned"/> to
/// report how many it really looked at.
/// </param>
/// <returns>
/// For a count: how many objects could be freed now, <see cref="Shrinker.Empty"/> when there are none at all, or 0
/// to be skipped this time. For a scan: how many objects were freed, or <see cref="Shrinker.Stop"/> when no progress
/// can be made now.
/// </returns>
public delegate long ShrinkerCallback(Shrinker shrinker, ref ShrinkControl control);
