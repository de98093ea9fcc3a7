using Reclaim.Pressure;

namespace Reclaim.Tests.Fuzz;

/// <summary>Each input afl-fuzz found to break a property of a core parser (test/Reclaim.Fuzz/README.md), kept as a test.</summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private const string Root = "/sys/fs/cgroup";

    private readonly string _root = Directory.CreateTempSubdirectory("reclaim-fuzz-cgroup-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>group-path: the cgroup directory kept a trailing slash, a <c>.</c> segment, and climbed out of the mount on <c>..</c>.</summary>
    [Theory]
    [InlineData("+::/", Root + "/+::")] // afl: "0::+::/" (trailing slash)
    [InlineData("/d&11:c\ufffdt\u0010\u0000\u0000\u00000::/", Root + "/d&11:c\ufffdt\u0010\u0000\u0000\u00000::")] // afl: a v1 memory line, trailing slash
    [InlineData(".", Root)] // afl: "0::." (a "." segment)
    [InlineData("/../../sibling", Root)] // a process outside the reader's cgroup namespace: never outside the mount
    [InlineData("/..", Root)]
    [InlineData("/a/../b", Root + "/b")]
    [InlineData("//a/./b//", Root + "/a/b")]
    [InlineData("/", Root)]
    [InlineData("/svc/app", Root + "/svc/app")]
    public void CgroupDirectory_Normalised_NeverAboveTheMount(string cgroupPath, string expected) =>
        Assert.Equal(expected, CgroupMemory.CgroupDirectory(Root, cgroupPath));

    [Fact]
    public void Detect_PathAboveTheMount_UsesTheMountNotTheCgroupBeside()
    {
        string mount = Path.Combine(_root, "mnt");
        string beside = Path.Combine(_root, "sibling");
        Directory.CreateDirectory(mount);
        Directory.CreateDirectory(beside);
        File.WriteAllText(Path.Combine(mount, "memory.current"), "1000\n");
        File.WriteAllText(Path.Combine(beside, "memory.current"), "2000\n");

        using CgroupMemory? cgroup = CgroupMemory.Detect("0::/../sibling\n", mount);

        Assert.NotNull(cgroup);
        Assert.Equal(mount, cgroup.Directory);
    }

    /// <summary>cgroup-limit: .NET's integer parsing ignores NULs at the end of the text; kept as the parser's documented reading.</summary>
    [Theory]
    [InlineData("66666\0\0\0", 66666L)] // afl
    [InlineData("9223372036854771771\0", null)] // afl: v1's "unlimited" range
    public void TryParseLimit_TrailingNuls_ReadAsTheNumber(string text, long? expected)
    {
        Assert.True(CgroupMemory.TryParseLimit(text, out long? limit));
        Assert.Equal(expected, limit);
    }

    [Fact]
    public void TryParseLimit_MaxWithNul_NotALimit() => Assert.False(CgroupMemory.TryParseLimit("max\0", out _));
}
