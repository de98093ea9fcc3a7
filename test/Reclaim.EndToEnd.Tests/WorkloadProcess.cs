using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Reclaim.PressureBench;

namespace Reclaim.EndToEnd.Tests;

/// <summary>What a workload child process did: how it ended and everything it printed.</summary>
internal sealed class WorkloadResult
{
    public WorkloadResult(string command, int? exitCode, bool timedOut, IReadOnlyList<string> stdout, IReadOnlyList<string> stderr, TimeSpan elapsed)
    {
        Command = command;
        ExitCode = exitCode;
        TimedOut = timedOut;
        Stdout = stdout;
        Stderr = stderr;
        Elapsed = elapsed;
        Lines = [.. stdout.Select(WorkloadLine.Parse)];
    }

    public string Command { get; }

    /// <summary>The exit code; null when it never exited (killed on the timeout and then still not reaped).</summary>
    public int? ExitCode { get; }

    public bool TimedOut { get; }

    public IReadOnlyList<string> Stdout { get; }

    public IReadOnlyList<string> Stderr { get; }

    public TimeSpan Elapsed { get; }

    public IReadOnlyList<WorkloadLine> Lines { get; }

    public IEnumerable<WorkloadLine> Samples => Lines.Where(l => l.Kind == "sample");

    public WorkloadLine? Start => Lines.FirstOrDefault(l => l.Kind == "start");

    public WorkloadLine? Summary => Lines.LastOrDefault(l => l.Kind == "summary");

    public bool Survived => Summary is { } s && s.Has("survived") && s.Get("survived") == "true";

    /// <summary>How it ended, and the last lines of its output: for assertion messages.</summary>
    public string Describe(int stdoutLines = 45, int stderrLines = 20)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"command: {Command}\n");
        text.Append(CultureInfo.InvariantCulture, $"exit code: {ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, timed out: {TimedOut}, elapsed: {Elapsed.TotalSeconds:F1} s\n");
        text.Append(CultureInfo.InvariantCulture, $"--- stdout (last {Math.Min(stdoutLines, Stdout.Count)} of {Stdout.Count} lines)\n");
        foreach (string line in Stdout.TakeLast(stdoutLines))
        {
            text.Append(line).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"--- stderr (last {Math.Min(stderrLines, Stderr.Count)} of {Stderr.Count} lines)\n");
        foreach (string line in Stderr.TakeLast(stderrLines))
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>Starts the workload as a child process, with a timeout, and collects what it printed.</summary>
internal static class WorkloadProcess
{
    /// <summary>Exit code of the workload after an <see cref="OutOfMemoryException"/> (WorkloadRun.OutOfMemoryExitCode).</summary>
    public const int OutOfMemoryExitCode = 3;

    /// <summary>Exit code of a process killed by SIGKILL (the kernel's OOM killer): 128 + 9.</summary>
    public const int KilledExitCode = 137;

    /// <summary>The workload's dll: <c>RECLAIM_E2E_WORKLOAD</c>, else where the build put it (assembly metadata).</summary>
    public static string WorkloadDll { get; } =
        Environment.GetEnvironmentVariable("RECLAIM_E2E_WORKLOAD") is { Length: > 0 } overridden
            ? overridden
            : typeof(WorkloadProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "WorkloadDll")?.Value ?? "Reclaim.EndToEnd.Workload.dll";

    /// <summary>The <c>dotnet</c> host: the one running these tests when it can be found, else <c>dotnet</c> on the PATH.</summary>
    public static string DotnetHost { get; } = Reclaim.Testing.DotnetHost.Path;

    /// <summary>The environment variables that must not leak from the test host into a child (they would change its GC).</summary>

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> and <paramref name="environment"/> (on top of
    /// this process's environment without its GC settings; a null value removes a variable); kills the child's whole
    /// tree after <paramref name="timeout"/>. Every stdout line is also written to the test's output.
    /// </summary>
    public static async Task<WorkloadResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan timeout)
    {
        ProcessStartInfo info = Reclaim.Samples.ChildProcess.StartInfo(
            fileName, arguments, environment.Where(e => e.Value is not null).Select(e => new KeyValuePair<string, string>(e.Key, e.Value!)));
        foreach ((string key, string? value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
        }

        string command = string.Join(' ', environment.Where(e => e.Value is not null).Select(e => $"{e.Key}={e.Value}")) + " " +
                         string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));
        ITestOutputHelper? output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"$ {command}");

        using var captured = new Reclaim.Testing.CapturedProcess(info);
        ConcurrentQueue<string> stdout = captured.Stdout;
        ConcurrentQueue<string> stderr = captured.Stderr;

        var clock = Stopwatch.StartNew();
        captured.Start();
        (int? exitCode, bool timedOut) = await captured.WaitAsync(timeout, TestContext.Current.CancellationToken);
        clock.Stop();
        var result = new WorkloadResult(command, exitCode, timedOut, [.. stdout], [.. stderr], clock.Elapsed);
        if (output is not null)
        {
            foreach (string line in result.Stdout)
            {
                output.WriteLine(line);
            }

            foreach (string line in result.Stderr)
            {
                output.WriteLine($"stderr: {line}");
            }

            output.WriteLine($"exit code {result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, timed out {timedOut}, {result.Elapsed.TotalSeconds:F1} s");
        }

        return result;
    }

    /// <summary>
    /// Extra workload arguments from <c>RECLAIM_E2E_EXTRA_ARGS</c> (space-separated), appended to every workload run:
    /// for investigating, such as <c>--sampling-ms 10</c> or <c>--threads 1</c>. Empty by default.
    /// </summary>
    public static IReadOnlyList<string> ExtraArguments { get; } =
        (Environment.GetEnvironmentVariable("RECLAIM_E2E_EXTRA_ARGS") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The workload's command line: its dll, <paramref name="arguments"/>, then <see cref="ExtraArguments"/>.</summary>
    public static IReadOnlyList<string> WorkloadCommand(IReadOnlyList<string> arguments) => [WorkloadDll, .. arguments, .. ExtraArguments];

    /// <summary>Runs the workload with <c>dotnet</c> and the given arguments, under the given environment.</summary>
    public static Task<WorkloadResult> RunWorkloadAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        EnsureWorkloadBuilt();
        return RunAsync(DotnetHost, WorkloadCommand(arguments), environment, timeout);
    }

    public static void EnsureWorkloadBuilt() =>
        Assert.True(File.Exists(WorkloadDll),
            $"The workload was not found at {WorkloadDll}: build test/Reclaim.EndToEnd.Workload in the same configuration " +
            "(dotnet test Reclaim.slnx builds it), or set RECLAIM_E2E_WORKLOAD to its dll.");

    /// <summary>A heap hard limit as DOTNET_GCHeapHardLimit wants it: hexadecimal.</summary>
    public static string Hex(long bytes) => "0x" + bytes.ToString("X", CultureInfo.InvariantCulture);

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
