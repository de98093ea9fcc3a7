using Spectre.Console.Testing;

namespace Reclaim.Tool.Tests;

/// <summary>
/// <c>top</c> against a running target app, rendered through the console seam: one refresh on a plain console (a frame
/// as <c>top -b</c> prints it), and the live full-screen view on an interactive test console driven by keys.
/// </summary>
public sealed class TopCommandTests(SharedTarget shared) : IClassFixture<SharedTarget>
{
    private TargetAppProcess Target => shared.Target;

    [Fact]
    public async Task Top_OneIteration_RendersTheHeaderAndARowPerShrinker()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "top", "-p", Target.Pid, "--iterations", "1");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"dotnet-reclaim top  pid {Target.Pid} (", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("sorted by objects", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"memory\s+\[[#.|]{40}\] .* of 64\.0 GiB \(explicit\), .*level none", result.Stdout);
        Assert.Contains("watermarks target 44.8 GiB (70 %), start 51.2 GiB (80 %), direct 57.6 GiB (90 %)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("shrinkers  3 (2 with objects), 1,600 objects", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("OBJECTS*", result.Stdout, StringComparison.Ordinal);

        // Rows sorted by objects, largest first; no rate before a second reading.
        string[] rows = [.. result.StdoutLines.Where(l => l.Contains("-0 ", StringComparison.Ordinal) || l.Contains("-1 ", StringComparison.Ordinal) || l.Contains("-2 ", StringComparison.Ordinal))];
        Assert.Equal(3, rows.Length);
        Assert.Matches(@"buffer-pool-1\s+1,000\s+-\s+0\s+0\s+0\s+\d+ ms\s+-", rows[0]);
        Assert.Matches(@"object-cache-0\s+600\s+-\s+0\s+0\s+0\s+\d+ ms\s+group", rows[1]);
        Assert.Matches(@"idle-cache-2\s+0\s+-", rows[2]);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Top_SortOption_SortsByThatColumn()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "top", "-p", Target.Pid, "--iterations", "2", "--interval", "100ms", "--sort", "freed");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sorted by freed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("FREED/S*", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("every 0.1 s", result.Stdout, StringComparison.Ordinal);

        // Two frames, the second with rates (nothing was freed: 0.0 per second).
        Assert.Equal(2, result.StdoutLines.Count(l => l.StartsWith("dotnet-reclaim top", StringComparison.Ordinal)));
        Assert.Matches(@"buffer-pool-1\s+1,000\s+0\.0\s", result.Stdout);
    }

    [Fact]
    public async Task Top_InteractiveConsole_TakesTheScreenSortsOnAKeyAndQuitsOnQ()
    {
        using var console = new TestConsole();
        console.Width(160).Height(40).Interactive().EmitAnsiSequences();
        console.Profile.Capabilities.Ansi = true;
        console.Profile.Capabilities.AlternateBuffer = true;
        console.Input.PushCharacter('e');
        console.Input.PushCharacter('q');
        var stdout = (StringWriter)console.Profile.Out.Writer;

        ToolResult result = await ToolRun.RunAsync(console, stdout, Target.Directory, "top", "-p", Target.Pid, "--interval", "100ms");

        // q quit it (without --iterations it would run on), cleanly: the alternate screen was entered and left.
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Stderr);
        string output = console.Output;
        Assert.Contains("\u001b[?1049h", output, StringComparison.Ordinal);
        Assert.EndsWith("\u001b[?1049l", output.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("keys: o f d e t sort, q quit", output, StringComparison.Ordinal);
        Assert.Contains("sorted by objects", output, StringComparison.Ordinal);
        Assert.Contains("sorted by errors", output, StringComparison.Ordinal);
        Assert.True(output.IndexOf("sorted by objects", StringComparison.Ordinal) < output.IndexOf("sorted by errors", StringComparison.Ordinal));
    }
}
