using System.Text.Json;

namespace Reclaim.Tool.Tests;

/// <summary>The built tool run as a process of its own, as a user runs it: exit codes, standard output and standard error.</summary>
public sealed class ToolProcessTests(SharedTarget shared) : IClassFixture<SharedTarget>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private TargetAppProcess Target => shared.Target;

    [Fact]
    public async Task StatJson_ByProcessId_PrintsTheJsonAndExitsZero()
    {
        ProcessResult result = await RunToolAsync("stat", "--json", "-p", Target.Pid);

        Assert.False(result.TimedOut, "the tool did not exit");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Stderr);
        JsonElement json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(Target.ProcessId, json.GetProperty("process_id").GetInt32());
        Assert.Equal(64L << 30, json.GetProperty("reclaimer").GetProperty("limit").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task UnknownShrinker_OneLineOnStderrAndExitCode3()
    {
        ProcessResult result = await RunToolAsync("count", "missing-7", "-p", Target.Pid);

        Assert.Equal((int)ExitCode.NotFound, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("dotnet-reclaim: ", line, StringComparison.Ordinal);
        Assert.Contains("missing-7", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadArgument_OneLineOnStderrAndExitCode2()
    {
        ProcessResult result = await RunToolAsync("scan", "buffer-pool-1", "zero", "0", "1");

        Assert.Equal((int)ExitCode.UsageError, result.ExitCode);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private Task<ProcessResult> RunToolAsync(params string[] args)
    {
        Assert.True(File.Exists(TargetAppProcess.ToolDll), $"The tool was not built at {TargetAppProcess.ToolDll}.");
        var environment = new Dictionary<string, string> { ["TMPDIR"] = Target.Directory, ["NO_COLOR"] = "1" };
        return Dotnet.RunAsync([TargetAppProcess.ToolDll, .. args], environment, s_timeout);
    }
}
