using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Reclaim.Demo;

/// <summary>
/// Sizes as people write them (<c>512MiB</c>, <c>1GiB</c>, <c>1.5G</c>, <c>536870912</c>) and back (<c>512.0 MiB</c>).
/// <c>K</c>, <c>M</c>, <c>G</c> and the <c>KiB</c> forms are powers of 1,024, as in cgroup files; <c>KB</c>, <c>MB</c>,
/// <c>GB</c> powers of 1,000. Case does not matter.
/// </summary>
internal static class ByteSize
{
    public const long MiB = 1024 * 1024;

    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>Reads a size: a number, optionally with a decimal point, optionally followed by a unit.</summary>
    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }

        if (end == 0 || !decimal.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number))
        {
            error = $"'{text}' is not a size: write bytes or a number with a unit, such as 536870912, 512MiB or 1GiB";
            return false;
        }

        string unit = s[end..].Trim().ToString();
        long? multiplier = unit.ToUpperInvariant() switch
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
        if (multiplier is null)
        {
            error = $"'{text}' has an unknown unit '{unit}': use B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB";
            return false;
        }

        decimal total = number * multiplier.Value;
        if (total >= long.MaxValue)
        {
            error = $"'{text}' is too large";
            return false;
        }

        bytes = (long)decimal.Floor(total);
        error = null;
        return true;
    }

    /// <summary>Bytes in binary units with one decimal: <c>512 B</c>, <c>1.5 KiB</c>, <c>478.2 MiB</c>.</summary>
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
}
