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
/// <c>RECLAIM_COYOTE_SEED</c> to fix the random seed (the seed of a run is printed in every failure).
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

    /// <summary>Makes the configuration every test uses.</summary>
    public static Configuration CreateConfiguration(uint iterations)
    {
        Configuration configuration = Configuration.Create()
            .WithTestingIterations(iterations)
            .WithMaxSchedulingSteps(MaxSteps)
            .WithFailureOnMaxStepsBoundEnabled(true)
            .WithAtomicOperationRaceCheckingEnabled(true)
            .WithVolatileOperationRaceCheckingEnabled(true)
            .WithPartiallyControlledConcurrencyAllowed(false)
            .WithTelemetryEnabled(false);
        string? seed = Environment.GetEnvironmentVariable(SeedVariable);
        if (uint.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out uint value))
        {
            configuration = configuration.WithRandomGeneratorSeed(value);
        }

        return configuration;
    }

    /// <summary>
    /// Explores <paramref name="test"/> for <see cref="Iterations(uint)"/> iterations and fails with Coyote's report when
    /// any iteration finds a bug.
    /// </summary>
    /// <returns>The report, for tests that check what was explored.</returns>
    public static TestReport Run(Func<Task> test, uint defaultIterations, [CallerMemberName] string name = "")
    {
        TestReport report = Explore(test, defaultIterations, out string failure, name);
        if (report.NumOfFoundBugs > 0)
        {
            Assert.Fail(failure);
        }

        return report;
    }

    /// <summary>Explores <paramref name="test"/> and returns the report without judging it (for tests that expect a bug).</summary>
    /// <param name="test">The test body, run once per iteration.</param>
    /// <param name="defaultIterations">The iterations when <c>RECLAIM_COYOTE_ITERATIONS</c> is not set.</param>
    /// <param name="failure">The full text to fail with: the bug, Coyote's report and the traces.</param>
    /// <param name="name">The test's name, for the text.</param>
    public static TestReport Explore(Func<Task> test, uint defaultIterations, out string failure, [CallerMemberName] string name = "")
    {
        Configuration configuration = CreateConfiguration(Iterations(defaultIterations));
        var stopwatch = Stopwatch.StartNew();
        using TestingEngine engine = TestingEngine.Create(configuration, test);
        engine.Run();
        stopwatch.Stop();

        TestReport report = engine.TestReport;
        uint explored = (uint)(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{name}: {explored} iterations in {stopwatch.ElapsedMilliseconds} ms, seed {Seed(configuration)}, {report.NumOfFoundBugs} bug(s); " +
            $"up to {report.MaxControlledOperations} operations and {Math.Max(report.MaxExploredFairSteps, report.MaxExploredUnfairSteps)} scheduling steps per iteration.");

        failure = report.NumOfFoundBugs > 0 ? Describe(engine, configuration, name, explored) : string.Empty;
        return report;
    }

    private static string Describe(TestingEngine engine, Configuration configuration, string name, uint explored)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Coyote found a bug in {name} at iteration {explored} (seed {Seed(configuration)}; set {SeedVariable} to rerun the exploration, or replay the reproducible trace below with Configuration.WithReproducibleTrace):");
        foreach (string bug in engine.TestReport.BugReports)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {bug}");
        }

        text.AppendLine();
        text.AppendLine(engine.GetReport());
        text.AppendLine();
        text.AppendLine("Reproducible trace:");
        text.AppendLine(Truncate(engine.ReproducibleTrace));
        text.AppendLine();
        text.AppendLine("Readable trace:");
        text.AppendLine(Truncate(engine.ReadableTrace));
        return text.ToString();
    }

    private static string Seed(Configuration configuration) =>
        configuration.RandomGeneratorSeed?.ToString(CultureInfo.InvariantCulture) ?? "random";

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
