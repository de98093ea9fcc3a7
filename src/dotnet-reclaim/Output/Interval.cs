using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Reclaim.Tool.Output;

/// <summary>Time intervals as people write them: seconds (<c>1</c>, <c>0.5</c>, <c>2s</c>) or milliseconds (<c>250ms</c>).</summary>
internal static class Interval
{
    /// <summary>Reads an interval.</summary>
    /// <param name="text">The text.</param>
    /// <param name="interval">The interval.</param>
    /// <param name="error">Why it is not one.</param>
    /// <returns>Whether it is one.</returns>
    public static bool TryParse(string text, out TimeSpan interval, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        double scale = 1000;
        if (s.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2];
            scale = 1;
        }
        else if (s.EndsWith("s", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) ||
            double.IsInfinity(value * scale) || value * scale > TimeSpan.FromDays(1).TotalMilliseconds)
        {
            interval = default;
            error = $"'{text}' is not an interval: write seconds (1, 0.5, 2s) or milliseconds (250ms).";
            return false;
        }

        interval = TimeSpan.FromMilliseconds(value * scale);
        error = null;
        return true;
    }
}
