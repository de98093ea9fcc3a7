using Reclaim.Tool.Output;

namespace Reclaim.Tool.Tests.Output;

public sealed class IntervalTests
{
    [Theory]
    [InlineData("1", 1000)]
    [InlineData("0.5", 500)]
    [InlineData("2s", 2000)]
    [InlineData("250ms", 250)]
    [InlineData(" 100MS ", 100)]
    public void TryParse_Interval_Milliseconds(string text, double milliseconds)
    {
        Assert.True(Interval.TryParse(text, out TimeSpan interval, out string? error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), interval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("1h")]
    [InlineData("999999999")]
    public void TryParse_NotAnInterval_SaysWhy(string text)
    {
        Assert.False(Interval.TryParse(text, out _, out string? error));
        Assert.Contains("is not an interval", error, StringComparison.Ordinal);
    }
}
