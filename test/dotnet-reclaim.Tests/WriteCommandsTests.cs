using System.Text.Json;

namespace Reclaim.Tool.Tests;

/// <summary>The commands that change the process, each test against a target app of its own.</summary>
public sealed class WriteCommandsTests
{
    [Fact]
    public async Task Scan_PlainAndGroupAwareShrinkers_FreeWhatTheyReportAndCountShowsTheRest()
    {
        await using TargetAppProcess target = await TargetAppProcess.StartAsync();

        ToolResult pool = await ToolRun.RunAsync(target.Directory, "scan", "buffer-pool-1", "0", "0", "100", "-p", target.Pid);
        Assert.Equal(0, pool.ExitCode);
        Assert.Equal("buffer-pool-1 group 0 node 0: freed 100 of 100 asked (scanned 100)", Assert.Single(pool.StdoutLines));
        Assert.Equal("0 900\n", (await ToolRun.RunAsync(target.Directory, "count", "buffer-pool-1", "-p", target.Pid)).Stdout.ReplaceLineEndings("\n"));

        // Group 2 is /tenant-a: only its objects go.
        ToolResult cache = await ToolRun.RunAsync(target.Directory, "scan", "object-cache-0", "2", "0", "50", "-p", target.Pid, "--json");
        Assert.Equal(0, cache.ExitCode);
        JsonElement json = cache.Json();
        Assert.Equal(50, json.GetProperty("freed").GetInt64());
        Assert.Equal(2, json.GetProperty("group").GetInt64());
        Assert.False(json.GetProperty("stopped").GetBoolean());
        Assert.Equal("1 100\n2 250\n3 200\n", (await ToolRun.RunAsync(target.Directory, "count", "object-cache-0", "-p", target.Pid)).Stdout.ReplaceLineEndings("\n"));

        // 0 does nothing, as in the kernel.
        ToolResult nothing = await ToolRun.RunAsync(target.Directory, "scan", "buffer-pool-1", "0", "0", "0", "-p", target.Pid);
        Assert.Equal(0, nothing.ExitCode);
        Assert.Contains("freed 0 of 0 asked", nothing.Stdout, StringComparison.Ordinal);

        // The endpoint's invalid_argument: a node the registry does not have, a group for a shrinker that is not group-aware.
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "scan", "buffer-pool-1", "0", "5", "10", "-p", target.Pid), ExitCode.UsageError, "node");
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "scan", "buffer-pool-1", "2", "0", "10", "-p", target.Pid), ExitCode.UsageError, "group");

        // An unknown group for a group-aware shrinker: not found.
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "scan", "object-cache-0", "99", "0", "10", "-p", target.Pid), ExitCode.NotFound, "99");

        // list shows what the scans did.
        ToolResult list = await ToolRun.RunAsync(target.Directory, "list", "-p", target.Pid, "--json");
        JsonElement poolStats = list.Json().GetProperty("shrinkers")[1].GetProperty("statistics");
        Assert.Equal(100, poolStats.GetProperty("objects_freed").GetInt64());
    }

    [Fact]
    public async Task DropCaches_Target_FreesEveryObject()
    {
        await using TargetAppProcess target = await TargetAppProcess.StartAsync();

        ToolResult result = await ToolRun.RunAsync(target.Directory, "drop-caches", "-p", target.Pid);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^Dropped caches: 1,600 objects freed in [\d.]+ m?s\.$", Assert.Single(result.StdoutLines));
        Assert.Empty((await ToolRun.RunAsync(target.Directory, "count", "buffer-pool-1", "-p", target.Pid)).Stdout);
        Assert.Empty((await ToolRun.RunAsync(target.Directory, "count", "object-cache-0", "-p", target.Pid)).Stdout);

        ToolResult again = await ToolRun.RunAsync(target.Directory, "drop-caches", "-p", target.Pid, "--json");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(0, again.Json().GetProperty("freed").GetInt64());
    }

    [Fact]
    public async Task SetGroup_SizesWithUnitsAndMax_SetTheLimitsInAValidOrder()
    {
        await using TargetAppProcess target = await TargetAppProcess.StartAsync();

        // By path, both at once: max goes first, since the new max is above the current high.
        ToolResult raise = await ToolRun.RunAsync(target.Directory, "set-group", "/tenant-a", "--high", "128MiB", "--max", "0.25G", "-p", target.Pid);
        Assert.Equal(0, raise.ExitCode);
        Assert.Equal("/tenant-a (2): usage 8.0 MiB, high 128.0 MiB, max 256.0 MiB", Assert.Single(raise.StdoutLines));

        // By id, both lowered below the current high: high goes first.
        ToolResult lower = await ToolRun.RunAsync(target.Directory, "set-group", "2", "--max", "32M", "--high", "16777216", "-p", target.Pid, "--json");
        Assert.Equal(0, lower.ExitCode);
        Assert.Equal(16L << 20, lower.Json().GetProperty("high").GetInt64());
        Assert.Equal(32L << 20, lower.Json().GetProperty("max").GetInt64());

        // max removes a limit; groups shows the result.
        Assert.Equal(0, (await ToolRun.RunAsync(target.Directory, "set-group", "/tenant-b", "--max", "max", "-p", target.Pid)).ExitCode);
        ToolResult groups = await ToolRun.RunAsync(target.Directory, "groups", "-p", target.Pid);
        Assert.Matches(@"├─ tenant-a\s+2\s+8\.0 MiB\s+16\.0 MiB\s+32\.0 MiB", groups.Stdout);
        Assert.Matches(@"└─ tenant-b\s+3\s+4\.0 MiB\s+max\s+max", groups.Stdout);

        // The endpoint refuses a high above the max: invalid_argument, a usage error.
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "set-group", "2", "--high", "1GiB", "-p", target.Pid), ExitCode.UsageError, "High");

        // An unknown group.
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "set-group", "/nope", "--high", "1M", "-p", target.Pid), ExitCode.NotFound, "/nope");
        ToolRun.AssertUserError(await ToolRun.RunAsync(target.Directory, "set-group", "42", "--high", "1M", "-p", target.Pid), ExitCode.NotFound, "42");
    }
}
