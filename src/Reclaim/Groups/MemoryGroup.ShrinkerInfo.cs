namespace Reclaim.Groups;

// Per node, the group's table of group-aware shrinker state (the kernel's shrinker_info): units of 64 ids, and one
// summary word per 64 units. _units[node] and _summaries[node] are replaced (under the registry's gate) by longer arrays
// when ids outgrow them; units and summaries themselves are shared between old and new arrays, so readers holding an
// old array update the same objects. Readers take the summaries first, then the units (each an acquire load); a unit
// reached through a summary bit always exists in the units array read after it (both are grown before publication).
public sealed partial class MemoryGroup
{
    private readonly ShrinkerInfoUnit[][] _units;
    private readonly ShrinkerInfoSummary[][] _summaries;

    /// <summary>The units of <paramref name="node"/> (acquire: pairs with the release store in <see cref="GrowTable"/>).</summary>
    internal ShrinkerInfoUnit[] GetUnits(int node) => Volatile.Read(ref _units[node]);

    /// <summary>The summaries of <paramref name="node"/> (acquire: pairs with the release store in <see cref="GrowTable"/>).</summary>
    internal ShrinkerInfoSummary[] GetSummaries(int node) => Volatile.Read(ref _summaries[node]);

    /// <summary>The deferred counter of group-aware shrinker <paramref name="id"/> on <paramref name="node"/>.</summary>
    internal ref long DeferredSlot(int node, int id) =>
        ref GetUnits(node)[id / ShrinkerInfoUnit.Size].Deferred[id % ShrinkerInfoUnit.Size];

    /// <summary>Sets the "may have objects" bit of <paramref name="id"/> on <paramref name="node"/> (<c>set_shrinker_bit</c>).</summary>
    internal void SetShrinkerBit(int node, int id) =>
        GetUnits(node)[id / ShrinkerInfoUnit.Size].SetBit(id % ShrinkerInfoUnit.Size);

    internal bool IsShrinkerBitSet(int node, int id) =>
        GetUnits(node)[id / ShrinkerInfoUnit.Size].IsSet(id % ShrinkerInfoUnit.Size);

    /// <summary>Makes every node's table at least <paramref name="unitCount"/> units long. Under the registry's gate.</summary>
    internal void GrowTable(int unitCount)
    {
        for (int node = 0; node < _units.Length; node++)
        {
            if (_units[node].Length >= unitCount)
            {
                continue;
            }

            (ShrinkerInfoUnit[] units, ShrinkerInfoSummary[] summaries) = Grow(_units[node], _summaries[node], unitCount);

            // Release, units before summaries: a reader takes the summaries first, so one that finds a unit through a
            // new summary word then reads a units array at least as new, which holds that unit.
            Volatile.Write(ref _units[node], units);
            Volatile.Write(ref _summaries[node], summaries);
        }
    }

    /// <summary>
    /// Moves this (offline) group's bits and deferred work into <paramref name="parent"/>. Each deferred counter is taken
    /// with an exchange, so work added concurrently is either moved or left for the next move, never counted twice.
    /// </summary>
    internal void ReparentShrinkerInfo(MemoryGroup parent)
    {
        for (int node = 0; node < _units.Length; node++)
        {
            ShrinkerInfoUnit[] mine = GetUnits(node);
            ShrinkerInfoUnit[] theirs = parent.GetUnits(node);
            for (int u = 0; u < mine.Length; u++)
            {
                theirs[u].SetBits(mine[u].Bits);
                long[] deferred = mine[u].Deferred;
                for (int i = 0; i < deferred.Length; i++)
                {
                    long moved = Interlocked.Exchange(ref deferred[i], 0);
                    if (moved != 0)
                    {
                        Interlocked.Add(ref theirs[u].Deferred[i], moved);
                    }
                }
            }
        }
    }

    /// <summary>Forgets the deferred work of a freed shrinker id, so a shrinker that reuses the id starts clean.</summary>
    internal void ResetDeferred(int id)
    {
        for (int node = 0; node < _units.Length; node++)
        {
            Interlocked.Exchange(ref DeferredSlot(node, id), 0);
        }
    }

    private static (ShrinkerInfoUnit[] Units, ShrinkerInfoSummary[] Summaries) Grow(
        ShrinkerInfoUnit[] oldUnits, ShrinkerInfoSummary[] oldSummaries, int unitCount)
    {
        var units = new ShrinkerInfoUnit[unitCount];
        Array.Copy(oldUnits, units, oldUnits.Length);
        var summaries = new ShrinkerInfoSummary[(unitCount + ShrinkerInfoUnit.Size - 1) / ShrinkerInfoUnit.Size];
        Array.Copy(oldSummaries, summaries, oldSummaries.Length);
        for (int i = oldSummaries.Length; i < summaries.Length; i++)
        {
            summaries[i] = new ShrinkerInfoSummary();
        }

        for (int i = oldUnits.Length; i < unitCount; i++)
        {
            units[i] = new ShrinkerInfoUnit(summaries[i / ShrinkerInfoUnit.Size], i % ShrinkerInfoUnit.Size);
        }

        return (units, summaries);
    }
}
