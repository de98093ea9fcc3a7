using System.Text;
using SharpFuzz;

namespace Reclaim.Fuzz;

/// <summary>The targets by name, and what every target shares: decoding, the property check, replaying a corpus.</summary>
internal static class Targets
{
    /// <summary>The longest input tried: every parser here reads a small kernel file or one command-line argument.</summary>
    public const int MaxInput = 4096;

    /// <summary>Each target: a pure function of one input's bytes that throws (an <see cref="InvalidOperationException"/> from <see cref="Check"/>, or whatever the parser threw) on a bug.</summary>
    public static IReadOnlyDictionary<string, ReadOnlySpanAction> All { get; } = new Dictionary<string, ReadOnlySpanAction>(StringComparer.Ordinal)
    {
        ["group-path"] = GroupPathTarget.Run,
        ["cgroup-limit"] = CgroupLimitTarget.Run,
        ["size-limit"] = SizeLimitTarget.Run,
        ["memory-events"] = MemoryEventsTarget.Run,
        ["node-list"] = NodeListTarget.Run,
        ["psi-trigger"] = PsiTriggerTarget.Run,
    };

    /// <summary>The input as the parser sees it: UTF-8 (invalid bytes become U+FFFD, as a file read as text does).</summary>
    public static string Decode(ReadOnlySpan<byte> input) => Encoding.UTF8.GetString(input);

    /// <summary>Fails the run (afl records a crash) when a property does not hold.</summary>
    public static void Check(bool holds, string property, string input)
    {
        if (!holds)
        {
            throw new InvalidOperationException($"Property violated: {property}; input: \"{Escape(input)}\"");
        }
    }

    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            _ = c is >= ' ' and < (char)0x7f and not '\\' and not '"'
                ? escaped.Append(c)
                : escaped.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }

        return escaped.ToString();
    }


    /// <summary>Each target over <c>corpus/&lt;target&gt;</c>; returns 0, or 1 on the first crash.</summary>
    public static int ReplayAll(string corpus, TextWriter output)
    {
        foreach ((string name, ReadOnlySpanAction target) in All)
        {
            output.Write($"{name}: ");
            if (FuzzReplay.Run(target, [Path.Combine(corpus, name)], output) != 0)
            {
                return 1;
            }
        }

        return 0;
    }
}
