namespace Reclaim.Groups;

// Per node, the group's table of group-aware shrinker state (the kernel's shrinker_info): units of 64 ids.
// _units[node] is replaced (under the registry's gate) by a longer array when ids outgrow it; the units themselves are
// shared between the old and new arrays, so readers holding the old array update the same units.
public sealed partial class MemoryGroup
{
    private readonly ShrinkerInfoUnit[][] _units;

    /// <summary>The units of <paramref name="node"/> (acquire: pairs with the release store in <see cref="GrowTable"/>).</summary>
    internal ShrinkerInfoUnit[] GetUnits(int node) => Volatile.Read(ref _units[node]);

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
            ShrinkerInfoUnit[] old = _units[node];
            if (old.Length >= unitCount)
            {
                continue;
            }

            var grown = new ShrinkerInfoUnit[unitCount];
            Array.Copy(old, grown, old.Length);
            for (int i = old.Length; i < unitCount; i++)
            {
                grown[i] = new ShrinkerInfoUnit();
            }

            // Release: the new units are fully made before any reader can reach them.
            Volatile.Write(ref _units[node], grown);
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

    private static ShrinkerInfoUnit[][] NewTable(int nodeCount, int unitCount)
    {
        var table = new ShrinkerInfoUnit[nodeCount][];
        for (int node = 0; node < nodeCount; node++)
        {
            var units = new ShrinkerInfoUnit[unitCount];
            for (int i = 0; i < unitCount; i++)
            {
                units[i] = new ShrinkerInfoUnit();
            }

            table[node] = units;
        }

        return table;
    }
}
