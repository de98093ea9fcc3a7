using Reclaim.PressureBench;
using Reclaim.Samples;

namespace Reclaim.EndToEnd.Tests;

/// <summary>The end-to-end tests' own machinery: line parsing, the child's timeout, the cgroup's life cycle.</summary>
public sealed class PlumbingTests
{
    [Fact]
    public void Parse_SampleLine_ReadsKindAndFields()
    {
        WorkloadLine line = WorkloadLine.Parse("sample t=1.25 heap=123456 level=Moderate runs=3");

        Assert.Equal("sample", line.Kind);
        Assert.Equal(1.25, line.RequiredDouble("t"));
        Assert.Equal(123456, line.RequiredLong("heap"));
        Assert.Equal("Moderate", line.Get("level"));
        Assert.False(line.Has("limit"));
    }

    [Fact]
    public void Parse_QuotedValues_KeepTheirSpaces()
    {
        WorkloadLine line = WorkloadLine.Parse("source name=gen2-gc active=False reason=\"not on this platform\" after=1");

        Assert.Equal("not on this platform", line.Get("reason"));
        Assert.Equal("1", line.Get("after"));
        Assert.Equal(string.Empty, WorkloadLine.Parse("x reason=\"\" y=2").Get("reason"));
    }

    [Fact]
    public void Parse_WordsWithoutValues_AreSkipped()
    {
        WorkloadLine line = WorkloadLine.Parse("warning: a worker did not stop within=10");

        Assert.Equal("warning:", line.Kind);
        Assert.Equal("10", line.Get("within"));
    }

    [Fact]
    public async Task RunAsync_ChildOutlivesTimeout_IsKilledAndReported()
    {
        WorkloadResult result = await WorkloadProcess.RunAsync(
            "/bin/sh", ["-c", "echo started; exec sleep 60"], new Dictionary<string, string?>(), TimeSpan.FromSeconds(1));

        Assert.True(result.TimedOut, result.Describe());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(["started"], result.Stdout);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(20), result.Describe());
    }

    [Fact]
    public async Task RunAsync_GcVariablesOfTheHost_DoNotLeakIntoTheChild()
    {
        Environment.SetEnvironmentVariable("DOTNET_GCgen0size", "0x1000000");
        try
        {
            WorkloadResult result = await WorkloadProcess.RunAsync(
                "/bin/sh", ["-c", "env | grep -i '^DOTNET_GC' | sort"],
                new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }, TimeSpan.FromSeconds(10));

            Assert.Equal(["DOTNET_GCHeapHardLimit=0x10000000"], result.Stdout);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_GCgen0size", null);
        }
    }

    [Fact]
    public async Task CgroupSandbox_ChildStartedInIt_RunsThereAndTheCgroupIsRemoved()
    {
        CgroupSandbox sandbox = EndToEndTests.CreateCgroupOrSkip(64L << 20);
        WorkloadResult result;
        try
        {
            Assert.Equal(64L << 20, sandbox.LimitBytes);
            Assert.Equal(64L << 20, sandbox.ReadLimit());
            IReadOnlyList<string> command = sandbox.Wrap(["/bin/cat", "/proc/self/cgroup"]);
            result = await WorkloadProcess.RunAsync(command[0], [.. command.Skip(1)], new Dictionary<string, string?>(), TimeSpan.FromSeconds(10));
        }
        finally
        {
            Assert.True(sandbox.TryRemove(TimeSpan.FromSeconds(10), out string? error), error);
        }

        Assert.Equal(0, result.ExitCode);
        // v1: the memory controller's line (N:memory:/path); v2: the unified hierarchy's (0::/path).
        string memoryLine = Assert.Single(result.Stdout, l => l.Split(':', 3) is [var id, var controllers, _] &&
            (sandbox.Version == 1 ? controllers.Split(',').Contains("memory") : id == "0" && controllers.Length == 0));
        Assert.EndsWith("/" + Path.GetFileName(sandbox.Directory), memoryLine, StringComparison.Ordinal);
        Assert.False(Directory.Exists(sandbox.Directory));
    }
}
