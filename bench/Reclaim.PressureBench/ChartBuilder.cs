using Reclaim.Units;
using ScottPlot;

namespace Reclaim.PressureBench;

/// <summary>
/// The PNG charts (ScottPlot): per phase, memory over time (the highest 10 ms reading in each 250 ms sample) per peer,
/// against the limit and its 0.90 line (stepping down in the lowered phase); an X marks each death.
/// </summary>
internal static class ChartBuilder
{
    public const int Width = 1400;
    public const int Height = 800;

    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    private static readonly Lazy<string?> Font = new(LoadFont);

    /// <summary>Writes the chart of <paramref name="results"/> (one phase; the first run of each peer) to <paramref name="path"/>.</summary>
    public static void Write(string path, string title, IReadOnlyList<PeerResult> results, BenchOptions options, Phase phase)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(options);
        var plot = new Plot();
        if (Font.Value is { } font)
        {
            plot.Font.Set(font);
        }

        var palette = new ScottPlot.Palettes.Category10();
        double end = options.Seconds;
        long limit = results.Count > 0 ? results[0].Limit : options.Limit;
        double limitMiB = ByteSize.ToMiB(limit);
        double top = limitMiB;

        // The limit and the 0.90 line: flat, or a step at the drop.
        double[] limitX = phase == Phase.Lowered ? [0, options.LowerAt, options.LowerAt, end] : [0, end];
        double loweredMiB = ByteSize.ToMiB(limit * 2 / 3);
        double[] limitY = phase == Phase.Lowered ? [limitMiB, limitMiB, loweredMiB, loweredMiB] : [limitMiB, limitMiB];
        var limitLine = plot.Add.ScatterLine(limitX, limitY, Colors.Black);
        limitLine.LineWidth = 2.5f;
        limitLine.LegendText = phase == Phase.Lowered ? "limit (lowered by a third at half time)" : "limit";
        var directLine = plot.Add.ScatterLine(limitX, [.. limitY.Select(y => y * 0.90)], Colors.Gray);
        directLine.LineWidth = 1.5f;
        directLine.LinePattern = LinePattern.Dashed;
        directLine.LegendText = "0.90 of the limit (direct watermark)";

        for (int i = 0; i < results.Count; i++)
        {
            RunOutcome run = results[i].Runs[0];
            Color color = palette.GetColor(i);
            Sample[] samples = [.. run.Samples.Where(s => s.WindowPeakBytes >= 0 && !double.IsNaN(s.Seconds))];
            double[] xs = [.. samples.Select(s => s.Seconds)];
            double[] ys = [.. samples.Select(s => ByteSize.ToMiB(s.WindowPeakBytes))];
            string legend = run.Survived ? results[i].Label : $"{results[i].Label}: died at {run.DiedAt:0.00} s";
            if (!run.Survived && !double.IsNaN(run.DiedAt) && run.PeakUsage > 0)
            {
                // The death: at its time, at the peak it reached.
                double peak = ByteSize.ToMiB(run.PeakUsage);
                xs = [.. xs, run.DiedAt];
                ys = [.. ys, peak];
                var marker = plot.Add.Marker(run.DiedAt, peak, MarkerShape.Eks, 14, color);
                marker.MarkerLineWidth = 3;
            }

            if (xs.Length > 0)
            {
                var line = plot.Add.ScatterLine(xs, ys, color);
                // Reclaim's peers stand out; the others are the reference.
                line.LineWidth = results[i].Peer.HasReclaimer ? 3 : 1.5f;
                line.LegendText = legend;
                top = Math.Max(top, ys.Max());
            }
        }

        plot.Title(title);
        plot.XLabel("seconds");
        plot.YLabel("managed heap, MiB (highest 10 ms reading per 250 ms)");
        plot.Axes.SetLimits(0, end, 0, top * 1.08);
        plot.ShowLegend(Edge.Right);
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, Width, Height);
    }

    /// <summary>Registers DejaVu Sans from its usual places (SkiaSharp's dependency-free build finds no system fonts by itself).</summary>
    private static string? LoadFont()
    {
        foreach (string file in FontFiles)
        {
            if (File.Exists(file))
            {
                ScottPlot.Fonts.AddFontFile("DejaVu Sans", file);
                return "DejaVu Sans";
            }
        }

        return null;
    }
}
