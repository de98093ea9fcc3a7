using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Reclaim.Testing;

namespace Reclaim.Demo.Tests;

/// <summary>What a run of the demo (as a process) printed, and how it ended.</summary>
internal sealed partial class DemoResult
{
    public DemoResult(string command, int? exitCode, bool timedOut, IReadOnlyList<string> stdout, IReadOnlyList<string> stderr, TimeSpan elapsed)
    {
        Command = command;
        ExitCode = exitCode;
        TimedOut = timedOut;
        Stdout = stdout;
        Stderr = stderr;
        Elapsed = elapsed;
    }

    public string Command { get; }

    /// <summary>Null when it never exited (killed on the timeout and still not reaped).</summary>
    public int? ExitCode { get; }

    public bool TimedOut { get; }

    public IReadOnlyList<string> Stdout { get; }

    public IReadOnlyList<string> Stderr { get; }

    public TimeSpan Elapsed { get; }

    /// <summary>The summary's first line (<c>Survived: ...</c>, <c>Died: ...</c>, <c>Failed: ...</c>), or null.</summary>
    public string? Verdict => Stdout.LastOrDefault(l => VerdictPattern().IsMatch(l));

    /// <summary>The summary's line that starts with <paramref name="label"/> (after its indent), or null.</summary>
    public string? SummaryLine(string label) => Stdout.LastOrDefault(l => l.StartsWith("  " + label + " ", StringComparison.Ordinal));

    /// <summary>The peak of live data as a percentage of the limit, from the summary's memory line.</summary>
    public double PeakLivePercent() => Number(SummaryLine("memory"), PeakLivePattern(), "the memory line's peak");

    /// <summary>The background reclaim runs, from the summary's reclaim line.</summary>
    public long BackgroundRuns() => (long)Number(SummaryLine("reclaim"), RunsPattern(), "the reclaim line's runs");

    /// <summary>Each tenant's hit rate (percent), from the summary's tenant lines.</summary>
    public IReadOnlyDictionary<string, double> TenantHitRates()
    {
        var rates = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in Stdout)
        {
            Match match = TenantPattern().Match(line);
            if (match.Success)
            {
                rates[match.Groups[1].Value] = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        return rates;
    }

    /// <summary>How it ended and everything it printed: for assertion messages.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"command: {Command}\nexit code: {ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}, timed out: {TimedOut}, elapsed: {Elapsed.TotalSeconds:F1} s\n");
        text.Append("--- stdout\n").AppendJoin('\n', Stdout).Append("\n--- stderr\n").AppendJoin('\n', Stderr).Append('\n');
        return text.ToString();
    }

    private double Number(string? line, Regex pattern, string what)
    {
        Match? match = line is null ? null : pattern.Match(line);
        Assert.True(match is { Success: true }, $"No {what} in the summary.\n{Describe()}");
        return double.Parse(match.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(Survived|Died|Failed|Stopped)\b")]
    private static partial Regex VerdictPattern();

    [GeneratedRegex(@"peak .* live, ([0-9.]+) % of the limit")]
    private static partial Regex PeakLivePattern();

    [GeneratedRegex(@"^\s+reclaim\s+([0-9,]+) background runs")]
    private static partial Regex RunsPattern();

    [GeneratedRegex(@"^\s+(tenant-[a-z])\s.*hit rate ([0-9.]+) %")]
    private static partial Regex TenantPattern();
}

/// <summary>Runs the demo's dll as a child process (through the <c>dotnet</c> host running the tests), with a timeout.</summary>
internal static class DemoProcess
{
    /// <summary>The demo's dll: <c>RECLAIM_DEMO_DLL</c>, else where the build put it (assembly metadata).</summary>
    public static string DemoDll { get; } =
        Environment.GetEnvironmentVariable("RECLAIM_DEMO_DLL") is { Length: > 0 } overridden
            ? overridden
            : typeof(DemoProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "DemoDll")?.Value ?? "Reclaim.Demo.dll";

    /// <summary>Variables that must not pass from the test host to the demo (they would change the GC of its workload too).</summary>
    private static readonly string[] s_gcVariablePrefixes = ["DOTNET_GC", "COMPlus_GC"];

    public static async Task<DemoResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        Assert.True(File.Exists(DemoDll), $"The demo was not found at {DemoDll}: build samples/Reclaim.Demo in the same configuration, or set RECLAIM_DEMO_DLL.");
        var info = new ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DemoDll);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (string key in info.Environment.Keys.Where(k => s_gcVariablePrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(key);
        }

        string command = string.Join(' ', [DotnetHost.Path, DemoDll, .. arguments]);
        ITestOutputHelper? output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"$ {command}");

        using var captured = new CapturedProcess(info);
        var clock = Stopwatch.StartNew();
        captured.Start();
        (int? exitCode, bool timedOut) = await captured.WaitAsync(timeout, TestContext.Current.CancellationToken);
        var result = new DemoResult(command, exitCode, timedOut, [.. captured.Stdout], [.. captured.Stderr], clock.Elapsed);
        output?.WriteLine(result.Describe());
        return result;
    }
}
