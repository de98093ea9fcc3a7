using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Reclaim.Units;

/// <summary>
/// Sizes as people write them: <c>64MiB</c>, <c>1.5G</c>, <c>4096</c>, <c>0x20000000</c>, and (for a limit) <c>max</c>
/// for no limit, as cgroup files write it; and back, in binary units with one decimal (<c>64.0 MiB</c>).
/// </summary>
/// <remarks>
/// <para>
/// A bare letter (<c>K</c>, <c>M</c>, <c>G</c>, <c>T</c>, <c>P</c>, <c>E</c>) and the <c>iB</c> forms are powers of
/// 1,024, as in <c>memory.max</c>; <c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>, <c>PB</c>, <c>EB</c> are powers of 1,000.
/// Every unit <see cref="Format"/> prints is read back. Case does not matter. A
/// <c>0x</c> number is a whole number of bytes in hexadecimal, as <c>DOTNET_GCHeapHardLimit</c> writes it.
/// </para>
/// <para>
/// One file, compiled into each program that reads or prints sizes (src/dotnet-reclaim, samples/Reclaim.Demo,
/// bench/Reclaim.PressureBench). It accepts zero: a caller that needs a positive size, or a minimum, says so itself.
/// </para>
/// </remarks>
internal static class ByteSize
{
    /// <summary>1,024 bytes.</summary>
    public const long KiB = 1024;

    /// <summary>1,024 KiB.</summary>
    public const long MiB = 1024 * KiB;

    /// <summary>1,024 MiB.</summary>
    public const long GiB = 1024 * MiB;

    /// <summary>No limit, written <c>max</c>: the same value as <c>MemoryGroup.Unlimited</c>.</summary>
    public const long Unlimited = long.MaxValue;

    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Reads a limit: a size, or <c>max</c> for <see cref="Unlimited"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The bytes.</param>
    /// <param name="error">Why it is not a size.</param>
    /// <returns>Whether it is a size.</returns>
    public static bool TryParseLimit(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            bytes = Unlimited;
            error = null;
            return true;
        }

        return TryParse(text, limit: true, out bytes, out error);
    }

    /// <summary>Reads a size: a whole or decimal number, optionally followed by a unit, or a <c>0x</c> hexadecimal number of bytes.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The bytes, rounded down.</param>
    /// <param name="error">Why it is not a size.</param>
    /// <returns>Whether it is a size.</returns>
    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, limit: false, out bytes, out error);
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

    /// <summary>A limit: <c>max</c> for <see cref="Unlimited"/>, else <see cref="Format"/>.</summary>
    /// <param name="bytes">The limit.</param>
    /// <returns>The text.</returns>
    public static string FormatLimit(long bytes) => bytes == Unlimited ? "max" : Format(bytes);

    /// <summary>Mebibytes, for tables and charts.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The mebibytes.</returns>
    public static double ToMiB(long bytes) => (double)bytes / MiB;

    private static bool TryParse(string text, bool limit, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        string examples = limit ? "such as 4096, 64MiB, 1.5G or max" : "such as 4096, 64MiB, 1.5G or 0x4000000";
        string notASize = $"'{text}' is not a size: write bytes or a number with a unit, {examples}.";
        string tooLarge = limit ? $"'{text}' is too large; write max for no limit." : $"'{text}' is too large.";
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ReadOnlySpan<char> digits = s[2..];
            if (digits.IsEmpty || !ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex))
            {
                error = notASize;
                return false;
            }

            if (hex >= long.MaxValue)
            {
                error = tooLarge;
                return false;
            }

            bytes = (long)hex;
            error = null;
            return true;
        }

        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }

        ReadOnlySpan<char> number = s[..end];
        string unit = s[end..].Trim().ToString();
        if (number.IsEmpty || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            error = notASize;
            return false;
        }

        if (Multiplier(unit) is not { } multiplier)
        {
            error = $"'{text}' has an unknown unit '{unit}': use B, K/KiB, M/MiB, G/GiB, T/TiB, P/PiB, E/EiB (powers of 1024) or KB, MB, GB, TB, PB, EB (powers of 1000).";
            return false;
        }

        // Compared before multiplying: a product past decimal's range would throw.
        if (value >= (decimal)long.MaxValue / multiplier)
        {
            error = tooLarge;
            return false;
        }

        bytes = (long)decimal.Floor(value * multiplier);
        error = null;
        return true;
    }

    private static long? Multiplier(string unit) => unit.ToUpperInvariant() switch
    {
        "" or "B" => 1,
        "K" or "KIB" => KiB,
        "M" or "MIB" => MiB,
        "G" or "GIB" => GiB,
        "T" or "TIB" => 1L << 40,
        "P" or "PIB" => 1L << 50, // Format prints PiB and EiB: they must read back (afl-fuzz found they did not)
        "E" or "EIB" => 1L << 60,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "PB" => 1_000_000_000_000_000,
        "EB" => 1_000_000_000_000_000_000,
        _ => null,
    };
}
