using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Tool.Top;

/// <summary>
/// Reads a <see cref="TopSnapshot"/> over one connection. The object counts cost one <c>count</c> request per shrinker
/// (each runs that shrinker's count callback once per group with objects), as reading every debugfs <c>count</c> file
/// does: cheap at one refresh a second.
/// </summary>
internal sealed class TopSampler(ReclaimDiagnosticClient client, TimeProvider time)
{
    /// <summary>Reads the process now.</summary>
    /// <param name="cancellationToken">Stops the requests.</param>
    /// <returns>The snapshot.</returns>
    public async Task<TopSnapshot> SampleAsync(CancellationToken cancellationToken)
    {
        StatResult stat = await client.StatAsync(cancellationToken).ConfigureAwait(false);
        ShrinkerListResult list = await client.ListAsync(cancellationToken).ConfigureAwait(false);
        var shrinkers = new List<TopShrinker>(list.Shrinkers.Count);
        foreach (ShrinkerInfo info in list.Shrinkers)
        {
            long? objects;
            try
            {
                ShrinkerCountResult count = await client.CountAsync(info.Shrinker, cancellationToken).ConfigureAwait(false);
                objects = 0;
                foreach (GroupObjectCount group in count.Groups)
                {
                    objects = group.Total > long.MaxValue - objects ? long.MaxValue : objects + group.Total;
                }
            }
            catch (ReclaimDiagnosticException ex) when (ex.Code == Diagnostics.Protocol.DiagnosticErrorCode.NotFound)
            {
                objects = null; // freed since the list: it will be gone from the next one
            }

            shrinkers.Add(new TopShrinker(info, objects));
        }

        return new TopSnapshot(stat, shrinkers, time.GetTimestamp());
    }
}
