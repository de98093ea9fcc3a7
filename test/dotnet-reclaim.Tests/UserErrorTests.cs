namespace Reclaim.Tool.Tests;

/// <summary>
/// Mistakes a user makes, against a read-only target: each gives one line on standard error, no stack trace, and the
/// exit code of its kind.
/// </summary>
public sealed class UserErrorTests(ReadOnlyTarget shared) : IClassFixture<ReadOnlyTarget>
{
    private TargetAppProcess Target => shared.Target;

    [Fact]
    public async Task NoSuchProcess_NotFound()
    {
        string pid = UnusedPid();

        ToolResult result = await ToolRun.RunAsync(Target.Directory, "list", "-p", pid);

        ToolRun.AssertUserError(result, ExitCode.NotFound, $"No process has id {pid}.");
    }

    [Fact]
    public async Task ProcessWithoutEndpoint_NoEndpoint()
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture); // the test host has none

        ToolResult result = await ToolRun.RunAsync(Target.Directory, "stat", "-p", pid);

        ToolRun.AssertUserError(result, ExitCode.NoEndpoint, $"Process {pid} (");
        Assert.Contains("RECLAIM_DIAGNOSTICS=1", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoEndpointAnywhere_NoEndpoint()
    {
        DirectoryInfo empty = Directory.CreateTempSubdirectory("rtool");
        try
        {
            ToolResult result = await ToolRun.RunAsync(empty.FullName, "list");

            ToolRun.AssertUserError(result, ExitCode.NoEndpoint, "No process has a Reclaim debug endpoint in " + empty.FullName);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task NoProcessOfThatName_NotFound()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "list", "-n", "no-such-process-4f1c");

        ToolRun.AssertUserError(result, ExitCode.NotFound, "No process named 'no-such-process-4f1c' is running.");
    }

    [Fact]
    public async Task EndpointPathWithNothingThere_NoEndpoint()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "list", "--endpoint", Path.Combine(Target.Directory, "missing-socket"));

        ToolRun.AssertUserError(result, ExitCode.NoEndpoint, "missing-socket");
    }

    [Fact]
    public async Task UnknownShrinker_NotFound()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "no-such-shrinker-9", "-p", Target.Pid);

        ToolRun.AssertUserError(result, ExitCode.NotFound, "no-such-shrinker-9");
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("scan", "buffer-pool-1", "0", "0", "10")]
    [InlineData("drop-caches")]
    [InlineData("set-group", "2", "--high", "1M")]
    public async Task ReadOnlyEndpoint_WritingCommand_Refused(params string[] args)
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, [.. args, "-p", Target.Pid]);

        ToolRun.AssertUserError(result, ExitCode.Refused, "read-only");
    }

    [Fact]
    public async Task ReadOnlyEndpoint_ReadingCommand_Works()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "buffer-pool-1", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0 1000\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("Unrecognized command or argument 'bogus'", "bogus")]
    [InlineData("Required command was not provided", new string[0])]
    [InlineData("Required argument missing", "count")]
    [InlineData("Unrecognized command or argument 'extra'", "count", "a-0", "extra")]
    [InlineData("<group-id> must be a whole number from 0 to 9223372036854775807; 'x' is not", "scan", "a-0", "x", "0", "1")]
    [InlineData("<node> must be a whole number from 0 to 2147483647; '-1' is not", "scan", "a-0", "0", "-1", "1")]
    [InlineData("<nr-to-scan> must be a whole number", "scan", "a-0", "0", "0", "1.5")]
    [InlineData("Give --high, --max or both", "set-group", "2")]
    [InlineData("'64QB' has an unknown unit 'QB'", "set-group", "2", "--max", "64QB")]
    [InlineData("'lots' is not a size", "set-group", "2", "--high", "lots")]
    [InlineData("Give one of --process-id, --name and --endpoint", "list", "-p", "1", "-n", "x")]
    [InlineData("Argument 'size' not recognized. Must be one of: 'objects' 'freed' 'deferred' 'errors' 'time'", "top", "--sort", "size")]
    [InlineData("--iterations must be at least 1", "top", "--iterations", "0")]
    [InlineData("--iterations must be a whole number", "top", "--iterations", "many")]
    [InlineData("'soon' is not an interval", "top", "--interval", "soon")]
    [InlineData("--process-id must be a whole number from 0 to 2147483647; 'abc' is not", "stat", "-p", "abc")]
    public async Task BadCommandLine_UsageError(string message, params string[] args)
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, args);

        ToolRun.AssertUserError(result, ExitCode.UsageError, message);
        Assert.Contains("--help'.", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task TwoEndpointsAndNoChoice_UsageErrorNamingBoth()
    {
        // A second target in the same directory: now there are two to choose from.
        await using TargetAppProcess second = await TargetAppProcess.StartAsync(Target.Directory);

        ToolResult none = await ToolRun.RunAsync(Target.Directory, "list");
        ToolRun.AssertUserError(none, ExitCode.UsageError, "2 processes have a Reclaim debug endpoint");
        Assert.Contains(Target.Pid, none.Stderr, StringComparison.Ordinal);
        Assert.Contains(second.Pid, none.Stderr, StringComparison.Ordinal);

        ToolResult byName = await ToolRun.RunAsync(Target.Directory, "list", "-n", "Reclaim.Diagnostics.TargetApp");
        ToolRun.AssertUserError(byName, ExitCode.UsageError, "choose one with --process-id");

        // Either can still be chosen by id.
        Assert.Equal(0, (await ToolRun.RunAsync(Target.Directory, "list", "-p", second.Pid)).ExitCode);
    }

    [Fact]
    public async Task Help_PrintsUsageAndSucceeds()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "set-group", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("set-group <group> [options]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--high", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    private static string UnusedPid()
    {
        // pid_max is at most 4194304 on Linux; look down from just under it for an id no process has.
        for (int pid = 4_194_000; pid > 1_000; pid--)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                return pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No unused process id found.");
    }
}
