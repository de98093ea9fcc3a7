using Reclaim.Units;

namespace Reclaim.Demo.Tests;

/// <summary>The command line: defaults, every accepted form, and a clear one-line error for each bad value.</summary>
public sealed class DemoOptionsTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Parse_NoArguments_GivesTheDefaults()
    {
        DemoOptions? options = DemoCommandLine.TryParse([], out string? error);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Duration);
        Assert.Equal(512 * MiB, options.LimitBytes);
        Assert.Equal(4, options.Tenants);
        Assert.Equal(2, options.Threads);
        Assert.True(options.Reclaim);
        Assert.True(options.Live);
        Assert.False(options.Cgroup);
        Assert.False(options.Worker);
        Assert.Equal(1, options.Seed);
    }

    [Theory]
    [InlineData("512MiB", 512 * MiB)]
    [InlineData("1GiB", 1024 * MiB)]
    [InlineData("1gib", 1024 * MiB)]
    [InlineData("1.5G", 1536 * MiB)]
    [InlineData("256M", 256 * MiB)]
    [InlineData("536870912", 512 * MiB)]
    [InlineData("600MB", 600_000_000)]
    [InlineData("0x20000000", 512 * MiB)]
    public void Parse_Limit_AcceptsSizesWithUnitsAndBytes(string text, long bytes)
    {
        DemoOptions? options = DemoCommandLine.TryParse(["--limit", text], out string? error);

        Assert.Null(error);
        Assert.Equal(bytes, options!.LimitBytes);
    }

    [Theory]
    [InlineData(new[] { "--limit", "lots" }, "--limit: 'lots' is not a size")]
    [InlineData(new[] { "--limit", "512XB" }, "--limit: '512XB' has an unknown unit 'XB'")]
    [InlineData(new[] { "--limit", "1MiB" }, "--limit must be at least 64.0 MiB (the runtime needs room of its own), not 1.0 MiB")]
    [InlineData(new[] { "--limit", "0" }, "--limit must be at least 64.0 MiB (the runtime needs room of its own), not 0 B")]
    [InlineData(new[] { "--limit", "-5" }, "--limit: '-5' is not a size")]
    [InlineData(new[] { "--tenants", "0" }, "--tenants must be a whole number from 1 to 26, not '0'")]
    [InlineData(new[] { "--tenants", "27" }, "--tenants must be a whole number from 1 to 26, not '27'")]
    [InlineData(new[] { "--tenants", "two" }, "--tenants must be a whole number from 1 to 26, not 'two'")]
    [InlineData(new[] { "--threads", "0" }, "--threads must be a whole number from 1 to 64, not '0'")]
    [InlineData(new[] { "--duration", "0" }, "--duration must be a number of seconds above 0 and at most 86400, such as 30 or 2.5, not '0'")]
    [InlineData(new[] { "--duration", "soon" }, "--duration must be a number of seconds above 0 and at most 86400, such as 30 or 2.5, not 'soon'")]
    [InlineData(new[] { "--seed", "1.5" }, "--seed must be a whole number, not '1.5'")]
    [InlineData(new[] { "--bogus" }, "unrecognized argument '--bogus'")]
    public void Parse_BadValue_GivesOneClearLine(string[] args, string expected)
    {
        DemoOptions? options = DemoCommandLine.TryParse(args, out string? error);

        Assert.Null(options);
        Assert.NotNull(error);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.EndsWith(". See --help.", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Parse_MissingValue_SaysWhichOption()
    {
        DemoCommandLine.TryParse(["--limit"], out string? error);

        Assert.NotNull(error);
        Assert.Contains("--limit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkerArguments_ParseBackToTheSameWorkload()
    {
        var options = new DemoOptions
        {
            Duration = TimeSpan.FromSeconds(2.5), Tenants = 3, Threads = 1, Seed = -7, Reclaim = false, LimitBytes = 256 * MiB,
        };

        DemoOptions? worker = DemoCommandLine.TryParse(options.WorkerArguments(), out string? error);

        Assert.Null(error);
        Assert.NotNull(worker);
        Assert.True(worker.Worker);
        Assert.Equal(options.Duration, worker.Duration);
        Assert.Equal(3, worker.Tenants);
        Assert.Equal(1, worker.Threads);
        Assert.Equal(-7, worker.Seed);
        Assert.False(worker.Reclaim);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(512 * MiB, "512.0 MiB")]
    [InlineData(3 * 1024 * MiB, "3.0 GiB")]
    public void ByteSize_Format_UsesBinaryUnits(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));
}
