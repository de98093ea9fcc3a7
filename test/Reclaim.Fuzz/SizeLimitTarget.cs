using System.Globalization;
using Reclaim.Units;

namespace Reclaim.Fuzz;

/// <summary>
/// The size and limit syntax of dotnet-reclaim and the demo (<c>512MiB</c>, <c>1.5G</c>, <c>0x20000000</c>,
/// <c>max</c>): <see cref="ByteSize.TryParse(string, out long, out string?)"/> and <see cref="ByteSize.TryParseLimit"/>.
/// </summary>
/// <remarks>
/// Properties, for both: never throws; a refusal gives 0 bytes and a message that quotes the text; an accepted size is
/// 0 or more and below <see cref="ByteSize.Unlimited"/> (only a limit's <c>max</c> is unlimited, and
/// <c>max</c> only for a limit); the two agree on every text but <c>max</c>; an accepted size written back as decimal
/// bytes or <c>0x</c> hexadecimal reads back exactly, and as <see cref="ByteSize.Format"/> prints it (one decimal in
/// binary units) reads back within 5 % (or, within 5 % of the top of the range, as "too large");
/// <see cref="ByteSize.FormatLimit"/> of <see cref="ByteSize.Unlimited"/> reads back as a limit of
/// <see cref="ByteSize.Unlimited"/>.
/// </remarks>
internal static class SizeLimitTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        bool isMax = text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase);

        bool sizeOk = ByteSize.TryParse(text, out long size, out string? sizeError);
        CheckResult(text, sizeOk, size, sizeError);
        Targets.Check(!isMax || !sizeOk, "max is not a size", text);

        bool limitOk = ByteSize.TryParseLimit(text, out long limit, out string? limitError);
        CheckResult(text, limitOk, limit, limitError);
        if (isMax)
        {
            Targets.Check(limitOk && limit == ByteSize.Unlimited, "max is the unlimited limit", text);
            Targets.Check(ByteSize.TryParseLimit(ByteSize.FormatLimit(limit), out long again, out _) && again == limit, "FormatLimit(max) reads back", text);
            return;
        }

        Targets.Check(limitOk == sizeOk && limit == size, "a limit that is not max is read as a size", text);
        if (!sizeOk)
        {
            return;
        }

        Targets.Check(size is >= 0 and < ByteSize.Unlimited, "a size is 0..Unlimited-1", text);
        Targets.Check(ReadsBack(size.ToString(CultureInfo.InvariantCulture)) == size, "decimal bytes read back exactly", text);
        Targets.Check(ReadsBack("0x" + size.ToString("x", CultureInfo.InvariantCulture)) == size, "hexadecimal bytes read back exactly", text);
        Targets.Check(ByteSize.FormatLimit(size) == ByteSize.Format(size), "a limit below Unlimited is formatted as a size", text);

        string formatted = ByteSize.Format(size);
        bool formattedOk = ByteSize.TryParse(formatted, out long back, out string? backError);
        long tolerance = (size / 20) + 1;
        if (formattedOk)
        {
            Targets.Check(Math.Abs(back - size) <= tolerance, $"Format's '{formatted}' reads back within 5 % (got {back})", text);
        }
        else
        {
            Targets.Check(
                size >= ByteSize.Unlimited - tolerance && backError is not null && backError.Contains("too large", StringComparison.Ordinal),
                $"Format's '{formatted}' reads back ({backError})",
                text);
        }
    }

    private static void CheckResult(string text, bool ok, long bytes, string? error)
    {
        if (ok)
        {
            Targets.Check(error is null, "an accepted size has no error", text);
            Targets.Check(bytes >= 0, "an accepted size is not negative", text);
        }
        else
        {
            Targets.Check(bytes == 0, "a refused size gives 0 bytes", text);
            Targets.Check(!string.IsNullOrWhiteSpace(error) && error.Contains($"'{text}'", StringComparison.Ordinal), "a refusal quotes the text", text);
        }
    }

    private static long? ReadsBack(string written) => ByteSize.TryParse(written, out long bytes, out _) ? bytes : null;
}
