using System.Globalization;

namespace Reclaim.Tool.Output;

/// <summary>Numbers and times for people: thousands separated, durations in the unit that reads best.</summary>
internal static class Formats
{
    /// <summary>A count with thousands separators: <c>1,234,567</c>.</summary>
    /// <param name="value">The count.</param>
    /// <returns>The text.</returns>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A rate with one decimal below 100 and none above: <c>12.5</c>, <c>1,024</c>.</summary>
    /// <param name="value">The rate.</param>
    /// <returns>The text.</returns>
    public static string Rate(double value) =>
        value < 100 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A duration given in milliseconds: <c>12 ms</c>, <c>1.50 s</c>, <c>2 min 05 s</c>.</summary>
    /// <param name="milliseconds">The duration.</param>
    /// <returns>The text.</returns>
    public static string Milliseconds(double milliseconds)
    {
        if (milliseconds < 1)
        {
            return milliseconds <= 0 ? "0 ms" : milliseconds.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
        }

        if (milliseconds < 1000)
        {
            return milliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
        }

        if (milliseconds < 60_000)
        {
            return (milliseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s";
        }

        var time = TimeSpan.FromMilliseconds(milliseconds);
        return string.Create(CultureInfo.InvariantCulture, $"{(long)time.TotalMinutes} min {time.Seconds:00} s");
    }

    /// <summary>A fraction as a percentage: <c>70 %</c>, <c>0.2 %</c>.</summary>
    /// <param name="fraction">The fraction (1 is 100 %).</param>
    /// <returns>The text.</returns>
    public static string Percent(double fraction)
    {
        double percent = fraction * 100;
        return (percent is > 0 and < 10 ? percent.ToString("0.0", CultureInfo.InvariantCulture) : percent.ToString("0", CultureInfo.InvariantCulture)) + " %";
    }

    /// <summary>A whole number in the invariant culture.</summary>
    /// <param name="value">The number.</param>
    /// <returns>The text.</returns>
    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);
}
