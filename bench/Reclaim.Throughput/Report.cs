using System.Globalization;
using System.Runtime.InteropServices;

namespace Reclaim.Throughput;

/// <summary>
/// One registry's results: each role alone, both roles at once, and the share of the both-at-once run during which the
/// garbage collector had every thread stopped.
/// </summary>
internal sealed record Measurement(
    WorkerResult ChurnAlone, WorkerResult PassesAlone, WorkerResult ChurnDuringPasses, WorkerResult PassesDuringChurn, double GcPauseShare);

/// <summary>One registry size, both registries.</summary>
internal sealed record Row(int Size, Measurement Lockless, Measurement RwLock);

/// <summary>Writes the results as markdown tables.</summary>
internal static class Report
{
    public static void Print(TextWriter output, Options options, (double SpeedKept, double Stalled) machine, IReadOnlyList<Row> rows)
    {
        output.WriteLine("# Throughput: register+free against passes");
        output.WriteLine();
        output.Write(Invariant($"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores. "));
        output.WriteLine(Invariant($"{options.Duration.TotalSeconds:0.#} s per cell; passes at the default priority over busy caches whose scans each busy-wait {options.ScanWork.TotalMicroseconds:0.##} µs; one thread per role."));
        output.WriteLine();
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        output.Write(Invariant($"Machine (load average at the end: {load}): with the other core busy, an unrelated busy thread keeps {100 * machine.SpeedKept:N0} % of its speed alone "));
        output.WriteLine(Invariant($"and is stalled (windows over 1 ms) {100 * machine.Stalled:N0} % of its time: no design can do better below."));
        output.WriteLine();
        output.WriteLine("| shrinkers | measure | ShrinkerRegistry | RwLockShrinkerRegistry | lockless / rwlock |");
        output.WriteLine("|---:|---|---:|---:|---:|");
        foreach (Row row in rows)
        {
            (Measurement a, Measurement b) = (row.Lockless, row.RwLock);
            Rate(output, row.Size, "register+free alone (ops/s)", a.ChurnAlone.PerSecond, b.ChurnAlone.PerSecond);
            Rate(output, row.Size, "register+free during passes (ops/s)", a.ChurnDuringPasses.PerSecond, b.ChurnDuringPasses.PerSecond);
            output.WriteLine(Invariant($"| {row.Size:N0} | register+free during passes: time stalled (%) | {100 * a.ChurnDuringPasses.StalledShare:N1} | {100 * b.ChurnDuringPasses.StalledShare:N1} | |"));
            Time(output, row.Size, "register+free during passes: longest stall (ms)", a.ChurnDuringPasses.WindowMax, b.ChurnDuringPasses.WindowMax);
            Rate(output, row.Size, "passes alone (/s)", a.PassesAlone.PerSecond, b.PassesAlone.PerSecond);
            Rate(output, row.Size, "passes during register+free (/s)", a.PassesDuringChurn.PerSecond, b.PassesDuringChurn.PerSecond);
            Rate(output, row.Size, "shrinkers visited during register+free (/s)",
                a.PassesDuringChurn.PerSecond * row.Size, b.PassesDuringChurn.PerSecond * row.Size);
            Time(output, row.Size, "one pass alone, p99.9 (ms)", a.PassesAlone.WindowP999, b.PassesAlone.WindowP999);
            Time(output, row.Size, "one pass during register+free, p99.9 (ms)", a.PassesDuringChurn.WindowP999, b.PassesDuringChurn.WindowP999);
            output.WriteLine(Invariant($"| {row.Size:N0} | allocated per register+free (B) | {a.ChurnAlone.BytesPerOperation:N0} | {b.ChurnAlone.BytesPerOperation:N0} | |"));
            output.WriteLine(Invariant($"| {row.Size:N0} | GC pause during both at once (% of time) | {100 * a.GcPauseShare:N1} | {100 * b.GcPauseShare:N1} | |"));
        }

        output.WriteLine();
        output.WriteLine("Speed kept under the other thread's load (during / alone):");
        output.WriteLine();
        output.WriteLine("| shrinkers | registry | register+free during passes | passes during register+free |");
        output.WriteLine("|---:|---|---:|---:|");
        foreach (Row row in rows)
        {
            Kept(output, row.Size, "ShrinkerRegistry", row.Lockless);
            Kept(output, row.Size, "RwLockShrinkerRegistry", row.RwLock);
        }

        output.WriteLine();
        output.WriteLine("Ratios above 1 favour the lockless registry in the rate rows; in the time rows (ms), below 1 does.");
        output.WriteLine("Shrinkers visited = passes x registered shrinkers. The register+free thread reads the clock every 16 operations;");
        output.WriteLine("time stalled is the share of its run spent in such windows longer than 1 ms (16 operations take microseconds, so");
        output.WriteLine("a longer window held one that waited: for a pass, for the garbage collector, or for the host to run the thread).");
    }

    private static void Rate(TextWriter output, int size, string measure, double lockless, double rwLock) =>
        output.WriteLine(Invariant($"| {size:N0} | {measure} | {Number(lockless)} | {Number(rwLock)} | {Ratio(lockless, rwLock)} |"));

    private static void Time(TextWriter output, int size, string measure, TimeSpan lockless, TimeSpan rwLock) =>
        output.WriteLine(Invariant($"| {size:N0} | {measure} | {lockless.TotalMilliseconds:N3} | {rwLock.TotalMilliseconds:N3} | {Ratio(lockless.TotalMilliseconds, rwLock.TotalMilliseconds)} |"));

    private static void Kept(TextWriter output, int size, string name, Measurement m) =>
        output.WriteLine(Invariant($"| {size:N0} | {name} | {Percent(m.ChurnDuringPasses.PerSecond, m.ChurnAlone.PerSecond)} | {Percent(m.PassesDuringChurn.PerSecond, m.PassesAlone.PerSecond)} |"));

    private static string Number(double value) => value >= 100 ? Invariant($"{value:N0}") : Invariant($"{value:N1}");

    private static string Ratio(double a, double b) => b == 0 ? "∞" : Invariant($"{a / b:N2}");

    private static string Percent(double part, double whole) => whole == 0 ? "-" : Invariant($"{100 * part / whole:N0} %");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
