// The runner test keeps both cores busy with child processes: nothing else in this assembly runs beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Reclaim.PressureBench.Tests;

/// <summary>The runner on a tiny configuration, with real child processes: the report's rows and a valid PNG per phase.</summary>
public sealed class RunnerTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public async Task Run_TwoPeersBothPhases_WritesARowPerPeerAndValidCharts()
    {
        string output = Path.Combine(Path.GetTempPath(), $"reclaim-pressure-test-{Guid.NewGuid():N}");
        var options = new BenchOptions
        {
            // 384 MiB: the limit at which the end-to-end tests find the reclaimer's survival reliable.
            Limit = 384L << 20,
            Seconds = 4,
            Peers = [Peer.MemoryCacheSized, Peer.Shrinkable],
            SizeFractions = [0.35],
            PhaseSelection = PhaseChoice.Both,
            OutputDirectory = output,
        };
        Assert.True(File.Exists(options.WorkloadDll), $"The workload was not built at {options.WorkloadDll}.");
        var progress = new StringWriter();
        try
        {
            BenchReport result = await new BenchRunner(options, progress).RunAsync(TestContext.Current.CancellationToken);

            Assert.Null(result.SkippedBecause);
            Assert.NotNull(result.ReportPath);
            string report = await File.ReadAllTextAsync(result.ReportPath, TestContext.Current.CancellationToken);
            string details = $"{report}\n--- progress\n{progress}";
            foreach (string phase in new[] { "## Steady limit", "## Limit lowered" })
            {
                string section = Section(report, phase);
                foreach (string peer in new[] { "memorycache-sized 35%", "shrinkable" })
                {
                    string[] cells = Row(section, peer, details);
                    Assert.True(cells[1] is "yes" or "**no**", $"{phase} / {peer}: survived column '{cells[1]}'.\n{details}");
                    Assert.True(cells[1] == "yes", $"{phase} / {peer} did not survive.\n{details}");
                    (int hitColumn, int opsColumn) = phase == "## Steady limit" ? (5, 6) : (7, 8);
                    double hitRate = double.Parse(cells[hitColumn], System.Globalization.CultureInfo.InvariantCulture);
                    Assert.InRange(hitRate, 0, 1);
                    double kiloOps = double.Parse(cells[opsColumn].Replace(" k", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
                    Assert.True(kiloOps > 0, $"{phase} / {peer}: ops/s {cells[opsColumn]}.\n{details}");
                }
            }

            Assert.Contains("## Reading", report, StringComparison.Ordinal);
            Assert.Equal(2, result.ChartPaths.Count);
            foreach (string chart in result.ChartPaths)
            {
                Assert.Contains($"]({Path.GetFileName(chart)})", report, StringComparison.Ordinal);
                byte[] png = await File.ReadAllBytesAsync(chart, TestContext.Current.CancellationToken);
                Assert.True(png.Length > 1000, $"{chart} is {png.Length} bytes.");
                Assert.Equal(PngSignature, png[..8]);
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static string Section(string report, string heading)
    {
        int start = report.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"No '{heading}' section.\n{report}");
        int end = report.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? report[start..] : report[start..end];
    }

    /// <summary>The cells of the table row of <paramref name="peer"/> (cell 0 is the peer).</summary>
    private static string[] Row(string section, string peer, string details)
    {
        string? line = section.Split('\n').FirstOrDefault(l => l.StartsWith($"| {peer} |", StringComparison.Ordinal));
        Assert.True(line is not null, $"No row for {peer}.\n{details}");
        return [.. line.Trim('|').Split('|').Select(c => c.Trim())];
    }
}
