namespace Reclaim.Hosting;

/// <summary>
/// A service that holds re-creatable objects and gives some back when reclaim asks: the two callbacks of a
/// <see cref="Shrinker"/> (the kernel's <c>count_objects</c> and <c>scan_objects</c>) as an interface, for a singleton
/// registered with <see cref="ReclaimServiceCollectionExtensions.AddShrinker{T}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, ShrinkerFlags, int)"/>.
/// </summary>
/// <remarks>
/// <para>
/// The host allocates and registers a shrinker for the service when it starts and frees it when it stops: between the
/// two, any thread running a reclaim pass may call these methods, possibly several at once; after the host has stopped
/// none runs or ever will.
/// </para>
/// <para>The contract, as in <c>include/linux/shrinker.h</c>:</para>
/// <list type="bullet">
/// <item><description><see cref="CountObjects(ref ShrinkControl)"/> must be cheap: no blocking, no lock that a pass
/// could hold, no call back into the registry. It returns how many objects could be freed now,
/// <see cref="Shrinker.Empty"/> when there are none at all, or 0 when it cannot tell or wants to be skipped
/// now.</description></item>
/// <item><description><see cref="ScanObjects(ref ShrinkControl)"/> tries to free up to
/// <see cref="ShrinkControl.NrToScan"/> objects and returns how many it freed, or <see cref="Shrinker.Stop"/> when it
/// cannot make progress now (a lock is contended): no further scan is asked of it in this pass. It may set
/// <see cref="ShrinkControl.NrScanned"/> to what it really looked at. It may block briefly, but every moment it blocks
/// is a moment reclaim is stalled.</description></item>
/// <item><description>A method that throws does not break reclaim: the exception is counted
/// (<see cref="ShrinkerStatistics.CallbackErrors"/>), logged as a warning, and the pass goes on with the next shrinker.
/// A count below 0 other than <see cref="Shrinker.Empty"/>, or a scan result below 0 other than
/// <see cref="Shrinker.Stop"/>, is a contract violation, logged and taken as 0 or <see cref="Shrinker.Stop"/>.</description></item>
/// </list>
/// </remarks>
public interface IShrinkable
{
    /// <summary>How many objects could be freed now (<c>count_objects</c>). See the remarks for the contract.</summary>
    /// <param name="control">What the pass asks: the node and the memory group (<see cref="ShrinkControl.NrToScan"/> is 0).</param>
    /// <returns>How many objects could be freed now, <see cref="Shrinker.Empty"/> when there are none at all, or 0 to be skipped this time.</returns>
    long CountObjects(ref ShrinkControl control);

    /// <summary>Frees up to <see cref="ShrinkControl.NrToScan"/> objects (<c>scan_objects</c>). See the remarks for the contract.</summary>
    /// <param name="control">What the pass asks: the node, the memory group and how many objects to look at; set <see cref="ShrinkControl.NrScanned"/> to report how many were really looked at.</param>
    /// <returns>How many objects were freed, or <see cref="Shrinker.Stop"/> when no progress can be made now.</returns>
    long ScanObjects(ref ShrinkControl control);

    /// <summary>
    /// Hands the service the shrinker the host allocated for it, before it is registered (once per host start). A
    /// <see cref="ShrinkerFlags.GroupAware"/> service keeps it to call <see cref="Shrinker.MarkHasObjects"/> when a group
    /// gets objects, or builds its <see cref="Lru.ListLru{T}"/> on it; without that a group pass never visits it. The
    /// default does nothing.
    /// </summary>
    /// <param name="shrinker">The service's shrinker; freed when the host stops.</param>
    void Attach(Shrinker shrinker)
    {
    }
}
