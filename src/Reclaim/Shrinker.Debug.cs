using Reclaim.Groups;
using Reclaim.Internal;

namespace Reclaim;

// Direct calls into one shrinker, as the kernel's debugfs files make them (mm/shrinker_debug.c): `count` asks
// count_objects for one group and node, `scan` asks scan_objects once. No pass arithmetic, no batching, no deferral.
// Each call is run as a pass runs a callback: under a reference (so Free waits for it), inside a CallbackScope (so
// statistics see it running, charges made by the callback do not start reclaim, and the callback cannot Free its own
// shrinker), with exceptions and answers outside the contract caught, counted and reported.
public sealed partial class Shrinker
{
    /// <summary>
    /// Asks <see cref="CountObjects"/> how many objects it holds for one group and node, the way the kernel's debugfs
    /// <c>shrinker/&lt;name&gt;-&lt;id&gt;/count</c> file asks it for each line it prints.
    /// </summary>
    /// <param name="node">
    /// A node of the registry, 0 to <see cref="ShrinkerRegistry.NodeCount"/> - 1. A shrinker that is not
    /// <see cref="ShrinkerFlags.NodeAware"/> is called with node 0, as passes call it; the kernel's file shows 0 objects
    /// for such a shrinker on every node but 0.
    /// </param>
    /// <param name="group">
    /// For a <see cref="ShrinkerFlags.GroupAware"/> shrinker, an online group of its registry, or <see langword="null"/>
    /// for <see cref="ShrinkerRegistry.Root"/>. For any other shrinker, <see langword="null"/>: it keeps no objects per group.
    /// The callback sees the control a root pass would give it (the root as its group).
    /// </param>
    /// <returns>
    /// What the callback answered: a count, or <see cref="Empty"/>. A callback that throws or answers below 0 (other
    /// than <see cref="Empty"/>) gives 0, counted in <see cref="ShrinkerStatistics.CallbackErrors"/> or
    /// <see cref="ShrinkerStatistics.ContractViolations"/> as in a pass.
    /// </returns>
    /// <remarks>
    /// Meant for diagnostics (the debug endpoint, tests), not for reclaim. It runs the callback on the calling thread
    /// under a reference, so a concurrent <see cref="Free"/> waits for it to return; it may run concurrently with passes
    /// as any callback may. It records no pass in the statistics.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="group"/> is given to a shrinker that is not group-aware, belongs to another registry, or is offline.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of the registry.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is not registered (not yet, or being freed, or freed).</exception>
    public long DebugCount(int node, MemoryGroup? group) => DebugCount(node, group, out _);

    /// <summary>
    /// Does what <see cref="DebugCount(int, MemoryGroup?)"/> does and also hands back the exception the callback threw.
    /// </summary>
    /// <param name="node">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="group">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="exception">The exception the callback threw (it was caught, counted and reported), or <see langword="null"/>.</param>
    /// <returns>See <see cref="DebugCount(int, MemoryGroup?)"/>.</returns>
    /// <exception cref="ArgumentException">See <see cref="DebugCount(int, MemoryGroup?)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="DebugCount(int, MemoryGroup?)"/>.</exception>
    /// <exception cref="InvalidOperationException">See <see cref="DebugCount(int, MemoryGroup?)"/>.</exception>
    public long DebugCount(int node, MemoryGroup? group, out Exception? exception)
    {
        var control = new ShrinkControl { Node = IsNodeAware ? node : 0, Group = ValidateDebugCall(node, group) };
        AcquireForDebug();
        long start = Registry.NowMilliseconds();
        CallbackScope.Enter(this, start);
        long count;
        exception = null;
        try
        {
            count = CountObjects!(this, ref control);
        }
#pragma warning disable CA1031 // As in a pass: a callback's exception is caught, counted and reported, never passed on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            exception = ex;
            RecordError();
            Registry.Reporter.CallbackFailed(this, ShrinkerCallbackKind.Count, ex);
            count = 0;
        }
        finally
        {
            CallbackScope.Exit();
            AddCallbackTime(Registry.NowMilliseconds() - start);
            Release();
        }

        if (count < 0 && count != Empty)
        {
            RecordViolation();
            Registry.Reporter.ContractViolated(this, ShrinkerCallbackKind.Count, count);
            return 0;
        }

        return count;
    }

    /// <summary>
    /// Asks <see cref="ScanObjects"/> once, directly, to free <paramref name="nrToScan"/> objects, as a write of
    /// <c>"&lt;group id&gt; &lt;node&gt; &lt;nr_to_scan&gt;"</c> to the kernel's debugfs <c>shrinker/&lt;name&gt;-&lt;id&gt;/scan</c>
    /// file does: no count first, no batching, no deferred work taken or carried.
    /// </summary>
    /// <param name="node">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="group">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="nrToScan">How many objects to ask for; 0 does nothing (the callback is not called).</param>
    /// <returns>
    /// What the callback answered: the objects freed, or <see cref="Stop"/>. A callback that throws or answers below 0
    /// (other than <see cref="Stop"/>) gives <see cref="Stop"/>, counted as in a pass.
    /// </returns>
    /// <remarks>
    /// The objects it reports scanned (<see cref="ShrinkControl.NrScanned"/>) and freed are added to the statistics; no
    /// pass is counted. The call holds a reference, so a concurrent <see cref="Free"/> waits for it to return.
    /// </remarks>
    /// <exception cref="ArgumentException">See <see cref="DebugCount(int, MemoryGroup?)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a node of the registry, or <paramref name="nrToScan"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is not registered (not yet, or being freed, or freed).</exception>
    public long DebugScan(int node, MemoryGroup? group, long nrToScan) => DebugScan(node, group, nrToScan, out _, out _);

    /// <summary>
    /// Does what <see cref="DebugScan(int, MemoryGroup?, long)"/> does and also hands back what the callback reported
    /// scanning and the exception it threw.
    /// </summary>
    /// <param name="node">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="group">See <see cref="DebugCount(int, MemoryGroup?)"/>.</param>
    /// <param name="nrToScan">See <see cref="DebugScan(int, MemoryGroup?, long)"/>.</param>
    /// <param name="nrScanned">
    /// <see cref="ShrinkControl.NrScanned"/> after the call: <paramref name="nrToScan"/> unless the callback changed it;
    /// 0 when nothing was called.
    /// </param>
    /// <param name="exception">The exception the callback threw (it was caught, counted and reported), or <see langword="null"/>.</param>
    /// <returns>See <see cref="DebugScan(int, MemoryGroup?, long)"/>.</returns>
    /// <exception cref="ArgumentException">See <see cref="DebugCount(int, MemoryGroup?)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="DebugScan(int, MemoryGroup?, long)"/>.</exception>
    /// <exception cref="InvalidOperationException">See <see cref="DebugScan(int, MemoryGroup?, long)"/>.</exception>
    public long DebugScan(int node, MemoryGroup? group, long nrToScan, out long nrScanned, out Exception? exception)
    {
        // The kernel's order: the node first, then "0 objects: nothing", then the group.
        ValidateDebugNode(node);
        ArgumentOutOfRangeException.ThrowIfNegative(nrToScan);
        nrScanned = 0;
        exception = null;
        if (nrToScan == 0)
        {
            return 0;
        }

        var control = new ShrinkControl
        {
            Node = IsNodeAware ? node : 0,
            Group = ValidateDebugCall(node, group),
            NrToScan = nrToScan,
            NrScanned = nrToScan,
            TotalScan = nrToScan,
        };
        AcquireForDebug();
        long start = Registry.NowMilliseconds();
        CallbackScope.Enter(this, start);
        long freed;
        try
        {
            freed = ScanObjects!(this, ref control);
        }
#pragma warning disable CA1031 // See DebugCount.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            exception = ex;
            RecordError();
            Registry.Reporter.CallbackFailed(this, ShrinkerCallbackKind.Scan, ex);
            freed = Stop;
        }
        finally
        {
            CallbackScope.Exit();
            AddCallbackTime(Registry.NowMilliseconds() - start);
            Release();
        }

        nrScanned = control.NrScanned;
        if (freed < 0 && freed != Stop)
        {
            RecordViolation();
            Registry.Reporter.ContractViolated(this, ShrinkerCallbackKind.Scan, freed);
            freed = Stop;
        }

        if (exception is null)
        {
            RecordDirectScan(nrScanned, freed == Stop ? 0 : freed);
        }

        return freed;
    }

    private void ValidateDebugNode(int node)
    {
        if ((uint)node >= (uint)Registry.NodeCount)
        {
            Throw.ArgumentOutOfRange(nameof(node), node,
                $"The node must be between 0 and {Registry.NodeCount - 1} (the registry's NodeCount is {Registry.NodeCount}).");
        }
    }

    /// <summary>Checks the node and the group of a debug call; returns the group the callback sees.</summary>
    private MemoryGroup ValidateDebugCall(int node, MemoryGroup? group)
    {
        ValidateDebugNode(node);
        if (group is null)
        {
            return Registry.Root;
        }

        if (!IsGroupAware)
        {
            Throw.Argument(nameof(group),
                $"Shrinker '{this}' is not group-aware: it keeps no objects per memory group, so no group may be given (pass null; the debug endpoint's group id 0).");
        }

        if (!ReferenceEquals(group.Registry, Registry))
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' belongs to another registry than shrinker '{this}'.");
        }

        if (!group.IsOnline)
        {
            Throw.Argument(nameof(group), $"Memory group '{group.Path}' (id {group.Id}) is offline: its objects moved to its parent.");
        }

        return group;
    }

    /// <summary>Takes a reference as a pass does (<c>shrinker_try_get</c>), or throws when the shrinker is not callable.</summary>
    private void AcquireForDebug()
    {
        if (!TryAcquire())
        {
            Throw.InvalidOperation(
                $"Shrinker '{this}' is {State}: only a registered shrinker can be called (debugfs shows only registered shrinkers).");
        }
    }
}
