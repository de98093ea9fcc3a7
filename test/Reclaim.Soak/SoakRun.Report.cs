namespace Reclaim.Soak;

// The report: operations per kind, reclaim per source, the memory samples, the invariant checks, the verdict.
internal sealed partial class SoakRun
{
    /// <summary>Checks flatness, prints the report and the <c>metric name=value</c> lines, and returns the exit code.</summary>
    private int Finish()
    {
        double seconds = Now;
        List<string> growth = Flatness.Check(_samples, _options.Seconds, out int warmSamples, out List<string> medians);
        foreach (string failure in growth)
        {
            Violations.Add("growth", failure);
        }

        Console.WriteLine();
        Console.WriteLine($"== Reclaim soak: {Text.Of(seconds, "F0")} s, seed {_options.Seed}, limit {Text.Mb(Reclaimer.Limit.Bytes)} MiB ({Reclaimer.Limit.Source})");
        Console.WriteLine();
        Console.WriteLine("-- operations");
        foreach ((string name, long value) in Counters.Snapshot().Where(p => p.Key.StartsWith("ops.", StringComparison.Ordinal) || p.Key.StartsWith("items.", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  {name,-40} {value,14:N0}");
        }

        Console.WriteLine();
        Console.WriteLine("-- reclaim by source (calls made by the harness or runs of the reclaimer; what they freed; scans of the harness's shrinkers)");
        foreach ((string name, long value) in Counters.Snapshot().Where(p =>
            p.Key.StartsWith("reclaim.", StringComparison.Ordinal) || p.Key.StartsWith("background.", StringComparison.Ordinal) || p.Key.StartsWith("scan-", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  {name,-40} {value,14:N0}");
        }

        Console.WriteLine($"  {"reclaimer.run-count",-40} {Reclaimer.RunCount,14:N0}");
        Console.WriteLine($"  {"reclaimer.induced-collections",-40} {Reclaimer.InducedCollectionCount,14:N0}");
        Console.WriteLine();
        Console.WriteLine("-- endpoint");
        foreach ((string name, long value) in Counters.Snapshot().Where(p => p.Key.StartsWith("endpoint.", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  {name,-40} {value,14:N0}");
        }

        Console.WriteLine();
        Console.WriteLine($"-- memory samples (after a full blocking compacting GC; {_samples.Count} taken, {warmSamples} after the {Text.Of(Flatness.WarmFraction * 100, "F0")} % warm-up)");
        if (_samples.Count > 0)
        {
            string[] metrics = [.. _samples[0].Values.Keys];
            Console.WriteLine($"  {"t (s)",7} " + string.Join(' ', metrics.Select(m => $"{m,12}")));
            int step = Math.Max(1, _samples.Count / 12);
            for (int i = 0; i < _samples.Count; i += step)
            {
                PrintSample(_samples[i], metrics);
            }

            if ((_samples.Count - 1) % step != 0)
            {
                PrintSample(_samples[^1], metrics);
            }

            foreach (string metric in metrics)
            {
                double[] values = [.. _samples.Select(s => s.Values[metric])];
                Console.WriteLine($"metric sample.{metric}.max={Text.Of(values.Max(), "F1")}");
                Console.WriteLine($"metric sample.{metric}.last={Text.Of(values[^1], "F1")}");
            }
        }

        Console.WriteLine(growth.Count == 0
            ? warmSamples >= Flatness.MinimumSamples ? "  flat: every metric within its tolerance (median of the last third vs the middle third)" : "  flat: too few warm samples to judge"
            : "  GROWTH: " + string.Join("; ", growth));
        foreach (string line in medians)
        {
            Console.WriteLine("    median " + line);
        }

        Console.WriteLine();
        Console.WriteLine($"-- invariants: {Interlocked.Read(ref _checks):N0} facts checked in {Interlocked.Read(ref _pauses):N0} pauses (longest {Text.Of(_longestPauseMs, "F0")} ms); {Leaks.Added:N0} dropped objects tracked");
        foreach ((string kind, long count) in Violations.Counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  VIOLATION {kind}: {count:N0}");
        }

        foreach (string message in Violations.Messages)
        {
            Console.WriteLine("  " + message);
        }

        foreach ((string name, long value) in Counters.Snapshot())
        {
            Console.WriteLine($"metric {name}={Text.Of(value)}");
        }

        Console.WriteLine($"metric reclaimer.run-count={Text.Of(Reclaimer.RunCount)}");
        Console.WriteLine($"metric invariant.checks={Text.Of(Interlocked.Read(ref _checks))}");
        Console.WriteLine($"metric invariant.pauses={Text.Of(Interlocked.Read(ref _pauses))}");
        Console.WriteLine($"metric invariant.violations={Text.Of(Violations.Total)}");
        Console.WriteLine($"metric samples={_samples.Count}");
        Console.WriteLine($"metric samples.warm={warmSamples}");
        Console.WriteLine($"metric leaks.tracked={Text.Of(Leaks.Added)}");
        Console.WriteLine($"metric seconds={Text.Of(seconds, "F1")}");
        bool ok = Violations.Total == 0;
        Console.WriteLine(ok
            ? $"soak result=ok seconds={Text.Of(seconds, "F0")}"
            : $"soak result=FAILED violations={Text.Of(Violations.Total)} kinds={string.Join(',', Violations.Counts.Keys.Order(StringComparer.Ordinal))}");
        return ok ? 0 : 1;
    }

    private static void PrintSample(Sample sample, string[] metrics) =>
        Console.WriteLine($"  {Text.Of(sample.Seconds, "F0"),7} " + string.Join(' ', metrics.Select(m => $"{Text.Of(sample.Values[m], "F1"),12}")));
}
