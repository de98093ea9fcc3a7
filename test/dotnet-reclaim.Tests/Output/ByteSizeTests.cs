using Reclaim.Groups;
using Reclaim.Units;

namespace Reclaim.Tool.Tests.Output;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("0", 0L)]
    [InlineData("512B", 512L)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64 mib", 64L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("2k", 2048L)]
    [InlineData("1TiB", 1L << 40)]
    [InlineData("10KB", 10_000L)]
    [InlineData("1.5MB", 1_500_000L)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("0.5K", 512L)]
    [InlineData("0x20000000", 0x20000000L)]
    [InlineData(" 0X1f ", 31L)]
    public void TryParse_Size_Bytes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out long bytes, out string? error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("", "is not a size")]
    [InlineData("lots", "is not a size")]
    [InlineData("-1", "is not a size")]
    [InlineData("1.2.3", "is not a size")]
    [InlineData("12XB", "unknown unit 'XB'")]
    [InlineData("10000000T", "too large")]
    [InlineData("99999999999999999999999999T", "too large")]
    [InlineData("0x", "is not a size")]
    [InlineData("0x12G", "is not a size")]
    [InlineData("0x8000000000000000", "too large")]
    public void TryParse_NotASize_SaysWhy(string text, string why)
    {
        Assert.False(ByteSize.TryParse(text, out _, out string? error));
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("MAX")]
    [InlineData(" max ")]
    public void TryParseLimit_Max_Unlimited(string text)
    {
        Assert.True(ByteSize.TryParseLimit(text, out long bytes, out _));
        Assert.Equal(MemoryGroup.Unlimited, bytes);
    }

    [Fact]
    public void TryParse_Max_IsNotASize() => Assert.False(ByteSize.TryParse("max", out _, out _));

    [Fact]
    public void TryParseLimit_TooLarge_SuggestsMax()
    {
        Assert.False(ByteSize.TryParseLimit("10000000T", out _, out string? error));
        Assert.Contains("write max for no limit", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(64L << 20, "64.0 MiB")]
    [InlineData(3L << 29, "1.5 GiB")]
    [InlineData(64L << 30, "64.0 GiB")]
    [InlineData(-2048L, "-2.0 KiB")]
    public void Format_Bytes_BinaryUnits(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));

    [Fact]
    public void FormatLimit_Unlimited_Max() => Assert.Equal("max", ByteSize.FormatLimit(MemoryGroup.Unlimited));
}
