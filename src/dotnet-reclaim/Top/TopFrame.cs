using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Commands;

namespace Reclaim.Tool.Top;

/// <summary>What one screen of <c>top</c> shows: the header's numbers and the sorted rows.</summary>
internal sealed class TopFrame
{
    private TopFrame(StatResult stat, IReadOnlyList<TopRow> rows, TopSort sort, TimeSpan interval, bool interactive)
    {
        Stat = stat;
        Rows = rows;
        Sort = sort;
        Interval = interval;
        Interactive = interactive;
    }

    /// <summary>The answer to <c>stat</c>.</summary>
    public StatResult Stat { get; }

    /// <summary>The rows, sorted.</summary>
    public IReadOnlyList<TopRow> Rows { get; }

    /// <summary>The sort.</summary>
    public TopSort Sort { get; }

    /// <summary>The refresh interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Whether keys work (the header says which).</summary>
    public bool Interactive { get; }

    /// <summary>
    /// The frame for <paramref name="current"/>: rates from the difference with <paramref name="previous"/> (by debug
    /// name; a shrinker new since then has none yet), rows sorted by <paramref name="sort"/>, largest first (ties: most freed for <see cref="TopSort.Freed"/>, then most objects, then by name).
    /// </summary>
    /// <param name="previous">The snapshot before, or <see langword="null"/>.</param>
    /// <param name="current">The snapshot now.</param>
    /// <param name="sort">The sort.</param>
    /// <param name="interval">The refresh interval, for the header.</param>
    /// <param name="interactive">Whether keys work.</param>
    /// <param name="time">The clock the timestamps came from.</param>
    /// <returns>The frame.</returns>
    public static TopFrame Create(TopSnapshot? previous, TopSnapshot current, TopSort sort, TimeSpan interval, bool interactive, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(time);
        double seconds = previous is null ? 0 : time.GetElapsedTime(previous.Timestamp, current.Timestamp).TotalSeconds;
        Dictionary<string, long>? freedBefore = previous?.Shrinkers.ToDictionary(s => s.Info.Shrinker, s => s.Info.Statistics.ObjectsFreed, StringComparer.Ordinal);
        var rows = new List<TopRow>(current.Shrinkers.Count);
        foreach (TopShrinker shrinker in current.Shrinkers)
        {
            ShrinkerStatisticsInfo s = shrinker.Info.Statistics;
            double? rate = null;
            if (seconds > 0 && freedBefore is not null && freedBefore.TryGetValue(shrinker.Info.Shrinker, out long before))
            {
                rate = Math.Max(0, s.ObjectsFreed - before) / seconds;
            }

            rows.Add(new TopRow(
                shrinker.Info.Shrinker,
                ListCommand.Flags(shrinker.Info.Flags),
                shrinker.Objects,
                rate,
                s.ObjectsFreed,
                s.Deferred,
                s.CallbackErrors + s.ContractViolations,
                s.TimeInCallbacksMs,
                s.RunningCallbacks > 0 ? s.RunningForMs : null));
        }

        return new TopFrame(current.Stat, Sorted(rows, sort), sort, interval, interactive);
    }

    /// <summary>The same frame sorted another way.</summary>
    /// <param name="sort">The sort.</param>
    /// <returns>The frame.</returns>
    public TopFrame SortedBy(TopSort sort) => new(Stat, Sorted(Rows, sort), sort, Interval, Interactive);

    private static List<TopRow> Sorted(IEnumerable<TopRow> rows, TopSort sort)
    {
        Func<TopRow, double> key = sort switch
        {
            TopSort.Freed => r => r.FreedPerSecond ?? -1,
            TopSort.Deferred => r => r.Deferred,
            TopSort.Errors => r => r.Errors,
            TopSort.Time => r => r.CallbackTimeMs,
            _ => r => r.Objects ?? -1,
        };

        // Ties (a quiet second: every rate 0) go to the biggest freer so far, then the biggest cache, then by name.
        return
        [
            .. rows.OrderByDescending(key)
                .ThenByDescending(r => sort == TopSort.Freed ? r.Freed : r.Objects ?? -1)
                .ThenByDescending(r => r.Objects ?? -1)
                .ThenBy(r => r.Shrinker, StringComparer.Ordinal),
        ];
    }
}
