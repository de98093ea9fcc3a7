using System.Globalization;
using System.Numerics;
using Reclaim.Pressure;

namespace Reclaim.Fuzz;

/// <summary>
/// A cgroup limit file's text (<c>memory.max</c>, <c>memory.high</c>, v1's <c>memory.limit_in_bytes</c>):
/// <see cref="CgroupMemory.TryParseLimit"/>.
/// </summary>
/// <remarks>
/// Properties: never throws; accepts exactly <c>max</c> or a whole decimal number within <see cref="long"/> (after
/// trimming white space, and NUL characters at the end of a number), as an independent oracle decides; an accepted limit is null (no limit: <c>max</c>, or v1's
/// huge "unlimited" numbers) or a number from 0 up to 2^62; a limit written back as the kernel writes it (the number or
/// <c>max</c>, and a newline) reads back the same; a refused text gives no limit.
/// </remarks>
internal static class CgroupLimitTarget
{
    private const long UnlimitedThreshold = 1L << 62;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        bool ok = CgroupMemory.TryParseLimit(text, out long? limit);
        // .NET's integer parsers ignore NUL characters at the very end ("66666\0" is 66666; afl-fuzz found it): harmless
        // here (the kernel never writes a NUL), so the oracle allows them too.
        bool isMax = text.Trim() == "max";
        string trimmed = text.Trim().TrimEnd('\0');
        bool isNumber = trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit);
        bool expected = isMax || (isNumber && BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) <= long.MaxValue);
        Targets.Check(ok == expected, $"accepted ({ok}) exactly when max or a whole number within long ({expected})", text);
        if (!ok)
        {
            Targets.Check(limit is null, "a refused text gives no limit", text);
            return;
        }

        if (limit is not { } value)
        {
            Targets.Check(isMax || BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) >= UnlimitedThreshold, "no limit only for max or a number from 2^62", text);
            Targets.Check(CgroupMemory.TryParseLimit("max\n", out long? again) && again is null, "max reads back as no limit", text);
            return;
        }

        Targets.Check(value is >= 0 and < UnlimitedThreshold, "a limit is 0..2^62", text);
        Targets.Check(BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) == value, "a limit is the number written", text);
        string written = value.ToString(CultureInfo.InvariantCulture) + "\n";
        Targets.Check(CgroupMemory.TryParseLimit(written, out long? back) && back == value, "a limit written back reads back the same", text);
    }
}
