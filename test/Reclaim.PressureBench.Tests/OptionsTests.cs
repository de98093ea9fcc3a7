namespace Reclaim.PressureBench.Tests;

/// <summary>The command line: defaults, sizes, peers, fractions, and clear errors for bad values (the size syntax itself: dotnet-reclaim.Tests' ByteSizeTests, of the shared src/Shared/ByteSize.cs).</summary>
public sealed class OptionsTests
{
    [Fact]
    public void Parse_NoArguments_GivesTheDefaults()
    {
        BenchOptions? options = new BenchCommand().Parse([], out IReadOnlyList<string> errors);

        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(512L << 20, options.Limit);
        Assert.Equal(30, options.Seconds);
        Assert.Equal(Peer.All, options.Peers);
        Assert.Equal([0.20, 0.35, 0.50, 0.65], options.SizeFractions);
        Assert.Equal([Phase.Steady], options.Phases);
        Assert.False(options.Cgroup);
        Assert.Equal(1, options.Repeat);
        Assert.Equal(Path.Combine("bench", "results"), options.OutputDirectory);
        // 4 peers once, memorycache-sized once per size.
        Assert.Equal(8, options.Plan().Count);
    }

    [Fact]
    public void Parse_EveryOption_IsRead()
    {
        BenchOptions? options = new BenchCommand().Parse(
            ["--limit", "1GiB", "--seconds", "12", "--peers", "memorycache-sized,shrinkable", "--size-limits", "50%,0.25",
             "--phase", "both", "--repeat", "2", "--out", "/tmp/x", "--threads", "3", "--keys", "1000", "--seed", "7", "--load-us", "5",
             "--note", "a build ran"],
            out IReadOnlyList<string> errors);

        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(1L << 30, options.Limit);
        Assert.Equal(12, options.Seconds);
        Assert.Equal([Peer.MemoryCacheSized, Peer.Shrinkable], options.Peers);
        Assert.Equal([0.25, 0.50], options.SizeFractions);
        Assert.Equal([Phase.Steady, Phase.Lowered], options.Phases);
        Assert.Equal((3, 1000L, 7, 5), (options.Threads, options.Keys, options.Seed, options.LoadMicroseconds));
        Assert.Equal("a build ran", options.Note);
        Assert.Equal(6, options.LowerAt);
        Assert.Equal((1L << 30) * 2 / 3, options.LoweredLimit);

        IReadOnlyList<RunSpec> plan = options.Plan();
        // Per phase: 2 sizes x 2 repeats + 1 x 2 repeats.
        Assert.Equal(12, plan.Count);
        Assert.Equal("memorycache-sized 25%", plan[0].Label);
        Assert.Equal((long)(0.25 * (1L << 30)), plan[0].SizeLimitBytes);
        Assert.Null(plan[4].SizeLimitBytes);
    }

    [Theory]
    [InlineData("lots", "--limit: 'lots' is not a size")]
    [InlineData("1MiB", "--limit must be at least 64.0 MiB")]
    [InlineData("0", "--limit must be at least 64.0 MiB")]
    [InlineData("0x", "--limit: '0x' is not a size")]
    [InlineData("-1", "--limit")]
    public void Parse_BadLimit_SaysWhat(string limit, string expected)
    {
        BenchOptions? options = new BenchCommand().Parse(["--limit", limit], out IReadOnlyList<string> errors);

        Assert.Null(options);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--peers", "shrinkable,nosuch", "unknown peer 'nosuch'")]
    [InlineData("--size-limits", "0.3,1.5", "'1.5' is not a fraction of the limit")]
    [InlineData("--size-limits", "half", "'half' is not a fraction")]
    [InlineData("--phase", "sideways", "--phase must be steady, lowered or both")]
    [InlineData("--seconds", "0", "--seconds must be a number from 1")]
    [InlineData("--repeat", "0", "--repeat must be a whole number from 1")]
    public void Parse_BadValue_SaysWhat(string option, string value, string expected)
    {
        BenchOptions? options = new BenchCommand().Parse([option, value], out IReadOnlyList<string> errors);

        Assert.Null(options);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Arguments_LoweredSizedRun_PassesTheWorkloadWhatItNeeds()
    {
        var options = new BenchOptions { Limit = 300L << 20, Seconds = 10, WorkloadDll = "/w.dll", LoadMicroseconds = 2 };
        var host = new WorkloadHost(options, TextWriter.Null);
        var spec = new RunSpec(Peer.MemoryCacheSized, Phase.Lowered, 0.5, 150L << 20, 1);

        IReadOnlyList<string> args = host.Arguments(spec);

        Assert.Equal(
            ["/w.dll", "--cache", "memorycache-sized", "--seconds", "10", "--threads", "2", "--keys", "2000000", "--seed", "12345",
             "--size-limit", (150L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), "--load-us", "2",
             "--lower-limit-at", "5", "--lower-limit-to", (200L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            args);
        Assert.Equal("0x12C00000", host.ChildEnvironment(spec)["DOTNET_GCHeapHardLimit"]);
        Assert.Equal("0", host.ChildEnvironment(spec)["DOTNET_gcServer"]);
    }
}
