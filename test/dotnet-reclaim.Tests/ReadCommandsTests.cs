using System.Text.Json;

namespace Reclaim.Tool.Tests;

/// <summary>
/// The reading commands against one running target app (TargetProcess.cs in the app says what it holds): the tables,
/// the kernel's <c>count</c> lines, <c>--json</c>, and the ways of choosing the process.
/// </summary>
public sealed class ReadCommandsTests(SharedTarget shared) : IClassFixture<SharedTarget>
{
    private const long Gib = 1L << 30;

    private TargetAppProcess Target => shared.Target;

    [Fact]
    public async Task Ps_OneTarget_ShowsItsIdNameAndEndpoint()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "ps");

        Assert.Equal(0, result.ExitCode);
        string row = Assert.Single(result.StdoutLines, l => l.Contains(Target.Endpoint, StringComparison.Ordinal));
        Assert.Contains(Target.Pid, row, StringComparison.Ordinal);
        Assert.Contains("(Reclaim.Diagnostics.TargetApp)", row, StringComparison.Ordinal);
        Assert.Contains("PID", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Ps_Json_ListsTheTargetWithItsAppName()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "ps", "--json");

        Assert.Equal(0, result.ExitCode);
        JsonElement process = Assert.Single(result.Json().GetProperty("processes").EnumerateArray());
        Assert.Equal(Target.ProcessId, process.GetProperty("process_id").GetInt32());
        Assert.Equal("Reclaim.Diagnostics.TargetApp", process.GetProperty("app_name").GetString());
        Assert.Equal(Target.Endpoint, process.GetProperty("endpoint").GetString());
        Assert.Contains("Reclaim.Diagnostics.TargetApp.dll", process.GetProperty("command_line").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ps_NoEndpoints_SaysSoAndSucceeds()
    {
        DirectoryInfo empty = Directory.CreateTempSubdirectory("rtool");
        try
        {
            ToolResult result = await ToolRun.RunAsync(empty.FullName, "ps");

            Assert.Equal(0, result.ExitCode);
            Assert.Contains("No process has a Reclaim debug endpoint", result.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task List_ByProcessId_ShowsEveryShrinkerWithItsFlags()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "list", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("SHRINKER", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"object-cache-0\s+group\s+registered\s+2\s+128", result.Stdout);
        Assert.Matches(@"buffer-pool-1\s+-\s+registered", result.Stdout);
        Assert.Matches(@"idle-cache-2\s+-\s+registered", result.Stdout);
    }

    [Fact]
    public async Task List_Json_IsTheEndpointsResult()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "list", "--process-id", Target.Pid, "--json");

        Assert.Equal(0, result.ExitCode);
        JsonElement json = result.Json();
        Assert.Equal(1, json.GetProperty("node_count").GetInt32());
        string[] names = [.. json.GetProperty("shrinkers").EnumerateArray().Select(s => s.GetProperty("shrinker").GetString()!)];
        Assert.Equal(["object-cache-0", "buffer-pool-1", "idle-cache-2"], names);
        JsonElement cache = json.GetProperty("shrinkers")[0];
        Assert.Equal(["group_aware"], cache.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!));
        Assert.True(cache.GetProperty("statistics").TryGetProperty("objects_freed", out _));
    }

    [Fact]
    public async Task Count_GroupAwareShrinker_PrintsTheKernelsLinesExactly()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "object-cache-0", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1 100\n2 300\n3 200\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Count_ShrinkerNotGroupAware_PrintsGroupZero()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "buffer-pool-1", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0 1000\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Count_NoObjects_PrintsNothing()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "idle-cache-2", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Count_Json_HasTheLinesAndTheSameStructured()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "object-cache-0", "-p", Target.Pid, "--json");

        Assert.Equal(0, result.ExitCode);
        JsonElement json = result.Json();
        Assert.Equal("object-cache-0", json.GetProperty("shrinker").GetString());
        Assert.Equal(["1 100", "2 300", "3 200"], json.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!));
        Assert.Equal([100L, 300, 200], json.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("total").GetInt64()));
    }

    [Fact]
    public async Task Groups_Target_DrawsTheTreeWithUsageAndLimitsInHumanUnits()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "groups", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"/\s+1\s+12\.0 MiB\s+max\s+max", result.Stdout);
        Assert.Matches(@"├─ tenant-a\s+2\s+8\.0 MiB\s+64\.0 MiB\s+max", result.Stdout);
        Assert.Matches(@"└─ tenant-b\s+3\s+4\.0 MiB\s+max\s+1\.0 GiB", result.Stdout);
    }

    [Fact]
    public async Task Groups_Json_HasBytesAndMaxForNoLimit()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "groups", "-p", Target.Pid, "--json");

        Assert.Equal(0, result.ExitCode);
        JsonElement[] groups = [.. result.Json().GetProperty("groups").EnumerateArray()];
        Assert.Equal(["/", "/tenant-a", "/tenant-b"], groups.Select(g => g.GetProperty("path").GetString()!));
        Assert.Equal(64L << 20, groups[1].GetProperty("high").GetInt64());
        Assert.Equal("max", groups[1].GetProperty("max").GetString());
        Assert.Equal(Gib, groups[2].GetProperty("max").GetInt64());
        Assert.Equal(12L << 20, groups[0].GetProperty("usage").GetInt64());
    }

    [Fact]
    public async Task Stat_Target_ShowsTheLimitTheWatermarksAndTheLevel()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "stat", "-p", Target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches($@"process\s+{Target.Pid} \(", result.Stdout);
        Assert.Matches(@"shrinkers\s+3 registered, 1 node", result.Stdout);
        Assert.Matches(@"groups\s+3 online, 12\.0 MiB charged", result.Stdout);
        Assert.Matches(@"limit\s+64\.0 GiB \(explicit\)", result.Stdout);
        Assert.Matches(@"watermarks\s+target 44\.8 GiB \(70 %\), start 51\.2 GiB \(80 %\), direct 57\.6 GiB \(90 %\)", result.Stdout);
        Assert.Matches(@"level\s+none", result.Stdout);
    }

    [Fact]
    public async Task Stat_Json_HasTheReclaimer()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "stat", "-p", Target.Pid, "--json");

        Assert.Equal(0, result.ExitCode);
        JsonElement json = result.Json();
        Assert.Equal(Target.ProcessId, json.GetProperty("process_id").GetInt32());
        Assert.Equal(3, json.GetProperty("shrinkers").GetInt32());
        JsonElement reclaimer = json.GetProperty("reclaimer");
        Assert.Equal(64 * Gib, reclaimer.GetProperty("limit").GetProperty("bytes").GetInt64());
        Assert.Equal("explicit", reclaimer.GetProperty("limit").GetProperty("source").GetString());
        Assert.Equal("none", reclaimer.GetProperty("level").GetString());
        Assert.True(reclaimer.GetProperty("running").GetBoolean());
    }

    [Fact]
    public async Task NoSelection_OneEndpoint_UsesIt()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "buffer-pool-1");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0 1000\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("Reclaim.Diagnostics.TargetApp")] // the app a dotnet host runs
    [InlineData("reclaim.diagnostics.targetapp")] // ignoring case
    [InlineData("dotnet")] // the process name
    public async Task Name_AppOrProcessName_ChoosesTheProcess(string name)
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "stat", "--name", name, "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Target.ProcessId, result.Json().GetProperty("process_id").GetInt32());
    }

    [Fact]
    public async Task Endpoint_SocketPath_ConnectsToIt()
    {
        ToolResult result = await ToolRun.RunAsync(Target.Directory, "count", "buffer-pool-1", "--endpoint", Target.Endpoint);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0 1000\n", result.Stdout.ReplaceLineEndings("\n"));
    }
}
