using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Reclaim.Groups;

namespace Reclaim.Tool.Output;

/// <summary>
/// Sizes as people write them: <c>64MiB</c>, <c>1.5G</c>, <c>4096</c>, and <c>max</c> for no limit (as cgroup files
/// write it); and back, in binary units with one decimal (<c>64.0 MiB</c>).
/// </summary>
/// <remarks>
/// A bare letter (<c>K</c>, <c>M</c>, <c>G</c>, <c>T</c>) and the <c>iB</c> forms are powers of 1,024, as in
/// <c>memory.max</c>; <c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c> are powers of 1,000. Case does not matter.
/// </remarks>
internal static class ByteSize
{
    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Reads a limit: a size, or <c>max</c> for <see cref="MemoryGroup.Unlimited"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The bytes.</param>
    /// <param name="error">Why it is not a size.</param>
    /// <returns>Whether it is a size.</returns>
    public static bool TryParseLimit(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            bytes = MemoryGroup.Unlimited;
            error = null;
            return true;
        }

        return TryParse(text, out bytes, out error);
    }

    /// <summary>Reads a size: a whole or decimal number, optionally followed by a unit.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The bytes, rounded down.</param>
    /// <param name="error">Why it is not a size.</param>
    /// <returns>Whether it is a size.</returns>
    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = 0;
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }

        ReadOnlySpan<char> number = s[..end];
        string unit = s[end..].Trim().ToString();
        if (number.IsEmpty || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            error = $"'{text}' is not a size: write bytes or a number with a unit, such as 4096, 64MiB, 1.5G or max.";
            return false;
        }

        if (Multiplier(unit) is not { } multiplier)
        {
            error = $"'{text}' has an unknown unit '{unit}': use B, K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000).";
            return false;
        }

        decimal total = value * multiplier;
        if (total >= long.MaxValue)
        {
            error = $"'{text}' is too large; write max for no limit.";
            return false;
        }

        bytes = (long)decimal.Floor(total);
        error = null;
        return true;
    }

    /// <summary>Bytes in binary units: <c>512 B</c>, <c>1.5 KiB</c>, <c>64.0 MiB</c>.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The text.</returns>
    public static string Format(long bytes)
    {
        if (bytes < 0)
        {
            return "-" + Format(bytes == long.MinValue ? long.MaxValue : -bytes);
        }

        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + s_units[unit];
    }

    /// <summary>A limit: <c>max</c> for <see cref="MemoryGroup.Unlimited"/>, else <see cref="Format"/>.</summary>
    /// <param name="bytes">The limit.</param>
    /// <returns>The text.</returns>
    public static string FormatLimit(long bytes) => bytes == MemoryGroup.Unlimited ? "max" : Format(bytes);

    private static long? Multiplier(string unit) => unit.ToUpperInvariant() switch
    {
        "" or "B" => 1,
        "K" or "KIB" => 1L << 10,
        "M" or "MIB" => 1L << 20,
        "G" or "GIB" => 1L << 30,
        "T" or "TIB" => 1L << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => null,
    };
}
