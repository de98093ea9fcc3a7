using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Coyote;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;

namespace Reclaim.SystematicTests.Infrastructure;

/// <summary>
/// Runs a test body under Coyote's systematic scheduler for many iterations and fails the xunit test with Coyote's
/// report and the reproducible trace when an iteration breaks a <c>Specification.Assert</c>,
/// throws, or deadlocks.
/// </summary>
/// <remarks>
/// <para>
/// Iterations: each test passes a default sized for the whole project to run in well under a minute on 2 cores. Set
/// <c>RECLAIM_COYOTE_ITERATIONS</c> to run every test that many iterations instead (long runs), and
/// <c>RECLAIM_COYOTE_SEED</c> to fix the random seed (each test prints its seed, and a failure names it).
/// </para>
/// <para>
/// Replay: a failure writes its reproducible trace to <c>coyote-traces/&lt;test&gt;.json</c> beside the test assembly
/// and names the file; run that one test with <c>RECLAIM_COYOTE_REPLAY=&lt;file&gt;</c> to replay the failing schedule
/// (under a debugger, say).
/// </para>
/// <para>
/// Scheduling points: every <c>SchedulingPoints.Interleave()</c> in the Reclaim sources, every <c>lock</c> and task
/// operation (the assembly is rewritten), and every <see cref="Interlocked"/> and <see cref="Volatile"/> call (atomic
/// and volatile race checking are on), so interleavings are not limited to the points the sources mark.
/// Uncontrolled concurrency is a failure, so a test cannot pass by escaping the scheduler; so are a deadlock (every
/// operation blocked, e.g. a Free that is never signalled) and an iteration that exceeds the step bound (a livelock).
/// </para>
/// </remarks>
internal static class CoyoteTest
{
    /// <summary>Overrides every test's iteration count.</summary>
    public const string IterationsVariable = "RECLAIM_COYOTE_ITERATIONS";

    /// <summary>Fixes the random seed of every test.</summary>
    public const string SeedVariable = "RECLAIM_COYOTE_SEED";

    /// <summary>A file holding a reproducible trace that a failure wrote: the test (filter to it) replays that one schedule.</summary>
    public const string ReplayVariable = "RECLAIM_COYOTE_REPLAY";

    // Every test here ends in a few hundred scheduling steps; an iteration that reaches this bound is spinning (a
    // livelock) and fails.
    private const uint MaxSteps = 5_000;

    private const int MaxTraceChars = 20_000;

    static CoyoteTest()
    {
        // A Debug.Assert in the Reclaim sources (Debug builds) becomes a Coyote assertion: reported with the schedule
        // that broke it, instead of failing the whole test process.
        Trace.Listeners.Clear();
        Trace.Listeners.Add(new SpecificationTraceListener());
    }

    /// <summary>The iterations to run: <c>RECLAIM_COYOTE_ITERATIONS</c> when set, otherwise <paramref name="defaultIterations"/>.</summary>
    public static uint Iterations(uint defaultIterations)
    {
        string? value = Environment.GetEnvironmentVariable(IterationsVariable);
        return uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint iterations) && iterations > 0
            ? iterations
            : defaultIterations;
    }

    /// <summary>The seed: <c>RECLAIM_COYOTE_SEED</c> when set, otherwise a new random one (printed, so a run can be repeated).</summary>
    public static uint Seed()
    {
        string? value = Environment.GetEnvironmentVariable(SeedVariable);
        return uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint seed)
            ? seed
            : (uint)Random.Shared.Next();
    }

    /// <summary>Makes the configuration every test uses.</summary>
    public static Configuration CreateConfiguration(uint iterations, uint seed)
    {
        Configuration configuration = Configuration.Create()
            .WithTestingIterations(iterations)
            .WithRandomGeneratorSeed(seed)
            .WithMaxSchedulingSteps(MaxSteps)
            .WithFailureOnMaxStepsBoundEnabled(true)
            .WithAtomicOperationRaceCheckingEnabled(true)
            .WithVolatileOperationRaceCheckingEnabled(true)
            .WithPartiallyControlledConcurrencyAllowed(false)
            .WithTelemetryEnabled(false);
        string? replay = Environment.GetEnvironmentVariable(ReplayVariable);
        return string.IsNullOrEmpty(replay) ? configuration : configuration.WithReproducibleTrace(File.ReadAllText(replay));
    }

    /// <summary>
    /// Explores <paramref name="test"/> for <see cref="Iterations(uint)"/> iterations and fails with Coyote's report when
    /// any iteration finds a bug.
    /// </summary>
    /// <returns>The report, for tests that check what was explored.</returns>
    public static TestReport Run(Func<Task> test, uint defaultIterations, [CallerMemberName] string name = "")
    {
        TestReport report = Explore(test, Iterations(defaultIterations), out string failure, name);
        if (report.NumOfFoundBugs > 0)
        {
            Assert.Fail(failure);
        }

        return report;
    }

    /// <summary>
    /// Explores <paramref name="test"/> for exactly <paramref name="iterations"/> iterations (or until a bug) and returns
    /// the report without judging it: for tests that expect a bug.
    /// </summary>
    /// <param name="test">The test body, run once per iteration.</param>
    /// <param name="iterations">The most iterations to run; <c>RECLAIM_COYOTE_ITERATIONS</c> does not change it.</param>
    /// <param name="failure">The full text to fail with: the bug, Coyote's report and the traces.</param>
    /// <param name="name">The test's name, for the text.</param>
    public static TestReport Explore(Func<Task> test, uint iterations, out string failure, [CallerMemberName] string name = "")
    {
        uint seed = Seed();
        Configuration configuration = CreateConfiguration(iterations, seed);
        var stopwatch = Stopwatch.StartNew();
        using TestingEngine engine = TestingEngine.Create(configuration, test);
        engine.Run();
        stopwatch.Stop();

        TestReport report = engine.TestReport;
        uint explored = (uint)(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{name}: {explored} iterations in {stopwatch.ElapsedMilliseconds} ms, seed {seed}, {report.NumOfFoundBugs} bug(s); " +
            $"up to {report.MaxControlledOperations} operations and {Math.Max(report.MaxExploredFairSteps, report.MaxExploredUnfairSteps)} scheduling steps per iteration.");

        failure = report.NumOfFoundBugs > 0 ? Describe(engine, seed, name, explored) : string.Empty;
        return report;
    }

    private static string Describe(TestingEngine engine, uint seed, string name, uint explored)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Coyote found a bug in {name} at iteration {explored} (seed {seed}; set {SeedVariable}={seed} to rerun the exploration):");
        foreach (string bug in engine.TestReport.BugReports)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {bug}");
        }

        text.AppendLine();
        text.AppendLine(engine.GetReport());
        text.AppendLine();
        string trace = engine.ReproducibleTrace ?? string.Empty;
        string directory = Path.Combine(AppContext.BaseDirectory, "coyote-traces");
        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, $"{name}.json");
        File.WriteAllText(file, trace);
        text.AppendLine(CultureInfo.InvariantCulture, $"Reproducible trace (written to {file}; replay it with {ReplayVariable}={file}):");
        text.AppendLine(trace);
        text.AppendLine();
        text.AppendLine("Readable trace:");
        text.AppendLine(Truncate(engine.ReadableTrace));
        return text.ToString();
    }

    private static string Truncate(string? trace) =>
        trace is null ? "(none)"
        : trace.Length <= MaxTraceChars ? trace
        : string.Concat(trace.AsSpan(0, MaxTraceChars), "\n... (truncated)");

    /// <summary>Turns Debug.Assert and Debug.Fail into Coyote assertions (and drops trace output).</summary>
    private sealed class SpecificationTraceListener : TraceListener
    {
        public override void Fail(string? message, string? detailMessage) =>
            Specification.Assert(false, $"Debug.Assert failed: {message} {detailMessage}".TrimEnd());

        public override void Write(string? message)
        {
        }

        public override void WriteLine(string? message)
        {
        }
    }
}
