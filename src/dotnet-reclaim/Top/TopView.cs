using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Commands;
using Reclaim.Tool.Output;
using Reclaim.Units;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Reclaim.Tool.Top;

/// <summary>
/// Draws a <see cref="TopFrame"/>: a header in the manner of <c>slabtop</c>'s (the process, memory against the limit
/// with the watermarks on a bar, the pressure level, totals), then one row per shrinker. A pure function of the frame,
/// so the tests render it through the console seam.
/// </summary>
internal static class TopView
{
    /// <summary>The width of the memory bar, in cells.</summary>
    public const int BarWidth = 40;

    private static readonly Style s_bold = new(decoration: Decoration.Bold);
    private static readonly Style s_dim = new(Color.Grey);

    /// <summary>The screen for <paramref name="frame"/>.</summary>
    /// <param name="frame">What to show.</param>
    /// <returns>The header and the table.</returns>
    public static IRenderable Render(TopFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new Rows(Title(frame), Memory(frame.Stat), Watermarks(frame.Stat), Totals(frame), new Text(string.Empty), Table(frame));
    }

    /// <summary>Appends the memory bar: usage filled in (green below the start watermark, yellow to the direct one, red above), each watermark a <c>|</c>.</summary>
    /// <param name="line">Where to append it.</param>
    /// <param name="usage">Usage in bytes.</param>
    /// <param name="limit">The limit in bytes.</param>
    /// <param name="watermarks">The watermarks.</param>
    /// <returns><paramref name="line"/>, the bar appended: <see cref="BarWidth"/> cells between brackets.</returns>
    public static Paragraph AppendBar(Paragraph line, long usage, long limit, WatermarksInfo watermarks)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(watermarks);
        double used = StatCommand.Fraction(usage, limit);
        var marks = new HashSet<int>
        {
            Cell(watermarks.Target), Cell(watermarks.Start), Cell(watermarks.Direct),
        };
        Color fill = used >= watermarks.Direct ? Color.Red : used >= watermarks.Start ? Color.Yellow : Color.Green;
        Paragraph bar = line.Append("[", s_dim);
        for (int i = 0; i < BarWidth; i++)
        {
            bool filled = (i + 0.5) / BarWidth <= used;
            if (marks.Contains(i))
            {
                bar.Append("|", filled ? new Style(fill, decoration: Decoration.Bold) : s_bold);
            }
            else
            {
                bar.Append(filled ? "#" : ".", filled ? new Style(fill) : s_dim);
            }
        }

        return bar.Append("]", s_dim);

        static int Cell(double fraction) => Math.Clamp((int)Math.Round(fraction * BarWidth), 0, BarWidth - 1);
    }

    private static Paragraph Title(TopFrame frame)
    {
        var title = new Paragraph()
            .Append("dotnet-reclaim top", s_bold)
            .Append($"  pid {Formats.Integer(frame.Stat.ProcessId)} ({frame.Stat.ProcessName})")
            .Append($"  every {frame.Interval.TotalSeconds:0.0#} s  sorted by {TopSorts.Name(frame.Sort)}");
        if (frame.Interactive)
        {
            title.Append("  keys: o f d e t sort, q quit", s_dim);
        }

        return title;
    }

    private static Paragraph Memory(StatResult stat)
    {
        var line = new Paragraph().Append("memory     ", s_bold);
        if (stat.Reclaimer is not { } r)
        {
            return line.Append($"no reclaimer in this process; {ByteSize.Format(stat.ChargedBytes)} charged to its groups");
        }

        Style level = r.Level switch
        {
            "critical" => new Style(Color.Red, decoration: Decoration.Bold),
            "moderate" => new Style(Color.Yellow, decoration: Decoration.Bold),
            _ => new Style(Color.Green),
        };
        return AppendBar(line, r.Usage.Bytes, r.Limit.Bytes, r.Watermarks)
            .Append($" {ByteSize.Format(r.Usage.Bytes)} of {ByteSize.Format(r.Limit.Bytes)} ({r.Limit.Source}), {Formats.Percent(StatCommand.Fraction(r.Usage.Bytes, r.Limit.Bytes))}  level ")
            .Append(r.Level, level);
    }

    private static Paragraph Watermarks(StatResult stat)
    {
        var line = new Paragraph().Append("watermarks ", s_bold);
        if (stat.Reclaimer is not { } r)
        {
            return line.Append("-", s_dim);
        }

        return line.Append(StatCommand.Watermarks(r.Watermarks))
            .Append($"  reclaim runs {Formats.Count(r.RunCount)}{(r.Running ? string.Empty : " (stopped)")}");
    }

    private static Paragraph Totals(TopFrame frame)
    {
        long objects = 0;
        int withObjects = 0;
        foreach (TopRow row in frame.Rows)
        {
            if (row.Objects is > 0 and { } n)
            {
                objects = n > long.MaxValue - objects ? long.MaxValue : objects + n;
                withObjects++;
            }
        }

        return new Paragraph()
            .Append("shrinkers  ", s_bold)
            .Append($"{Formats.Integer(frame.Rows.Count)} ({Formats.Integer(withObjects)} with objects), {Formats.Count(objects)} objects  ")
            .Append("groups ", s_bold)
            .Append($"{Formats.Integer(frame.Stat.Groups)}, {ByteSize.Format(frame.Stat.ChargedBytes)} charged");
    }

    private static Table Table(TopFrame frame)
    {
        string[] headers = ["SHRINKER", ">OBJECTS", ">FREED/S", ">FREED", ">DEFERRED", ">ERRORS", ">CALLBACK TIME", "FLAGS"];
        int sorted = frame.Sort switch
        {
            TopSort.Objects => 1,
            TopSort.Freed => 2,
            TopSort.Deferred => 4,
            TopSort.Errors => 5,
            _ => 6,
        };
        headers[sorted] += "*";
        var table = Tables.Create(headers);
        foreach (TopRow row in frame.Rows)
        {
            string time = Formats.Milliseconds(row.CallbackTimeMs);
            Style? timeStyle = null;
            if (row.RunningForMs is { } running)
            {
                time += $" (running {Formats.Milliseconds(running)})";
                timeStyle = running >= 1000 ? new Style(Color.Red, decoration: Decoration.Bold) : (Style?)null;
            }

            table.AddRow(
                Tables.Cell(row.Shrinker),
                Tables.Cell(row.Objects is { } objects ? Formats.Count(objects) : "-"),
                Tables.Cell(row.FreedPerSecond is { } rate ? Formats.Rate(rate) : "-"),
                Tables.Cell(Formats.Count(row.Freed)),
                Tables.Cell(Formats.Count(row.Deferred)),
                Tables.Cell(Formats.Count(row.Errors), row.Errors > 0 ? new Style(Color.Red) : (Style?)null),
                Tables.Cell(time, timeStyle),
                Tables.Cell(row.Flags));
        }

        return table;
    }
}
