using System.Text.Json;
using Spectre.Console;

namespace Reclaim.Tool.Tests;

/// <summary>What one in-process run of the tool printed and returned.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public IReadOnlyList<string> StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement.Clone();

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the tool's command line in-process, as <c>Main</c> does, through the console seam: standard output is a
/// Spectre console over a <see cref="StringWriter"/> (no colours, no ANSI, 200 columns), standard error another writer.
/// </summary>
internal static class ToolRun
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="args"/> looking for endpoints in <paramref name="directory"/>.</summary>
    public static Task<ToolResult> RunAsync(string directory, params string[] args)
    {
        var stdout = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return RunAsync(console, stdout, directory, args);
    }

    /// <summary>Runs <paramref name="args"/> on <paramref name="console"/>, whose output <paramref name="stdout"/> holds.</summary>
    public static async Task<ToolResult> RunAsync(IAnsiConsole console, StringWriter stdout, string directory, params string[] args)
    {
        var stderr = new StringWriter();
        var context = new ToolContext(console, stderr, directory);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_timeout);
        int code = await ToolRunner.InvokeAsync(args, context, timeout.Token);
        Assert.False(timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested,
            $"'{string.Join(' ', args)}' did not finish within {s_timeout.TotalSeconds} s");
        var result = new ToolResult(code, stdout.ToString(), stderr.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine($"$ dotnet-reclaim {string.Join(' ', args)}\n{result}");
        return result;
    }

    /// <summary>Asserts a user error: the exit code, and exactly one line on standard error, without a stack trace.</summary>
    public static void AssertUserError(ToolResult result, ExitCode expected, string containing)
    {
        Assert.True((int)expected == result.ExitCode, $"expected exit code {(int)expected} ({expected}); {result}");
        string line = Assert.Single(result.StderrLines);
        Assert.StartsWith("dotnet-reclaim: ", line, StringComparison.Ordinal);
        Assert.Contains(containing, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }
}
