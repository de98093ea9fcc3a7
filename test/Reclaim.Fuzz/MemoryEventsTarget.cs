using System.Globalization;
using Reclaim.Pressure;

namespace Reclaim.Fuzz;

/// <summary>A cgroup v2 <c>memory.events</c> file's text: <see cref="CgroupEventsPressureSource.TryParseMemoryEvents"/>.</summary>
/// <remarks>
/// Properties: never throws; refuses when <c>high</c> or <c>max</c> has no line, and then gives zero counters; accepted
/// counters are never negative, and written back as the kernel writes the file they read back the same; a counter rise
/// written back in a second file is the level <see cref="CgroupEventsPressureSource.LevelForChange"/> gives.
/// </remarks>
internal static class MemoryEventsTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        if (!CgroupEventsPressureSource.TryParseMemoryEvents(text, out MemoryEventCounters counters))
        {
            Targets.Check(counters == default, "a refused text gives zero counters", text);
            return;
        }

        Targets.Check(HasKey(text, "high") && HasKey(text, "max"), "accepted only with a high and a max line", text);
        Targets.Check(counters.Low >= 0 && counters.High >= 0 && counters.Max >= 0 && counters.Oom >= 0 && counters.OomKill >= 0, "counters are not negative", text);
        Targets.Check(
            CgroupEventsPressureSource.TryParseMemoryEvents(Write(counters), out MemoryEventCounters again) && again == counters,
            "counters written back read back the same",
            text);

        if (counters.Max < long.MaxValue)
        {
            MemoryEventCounters rose = counters with { Max = counters.Max + 1 };
            Targets.Check(
                CgroupEventsPressureSource.TryParseMemoryEvents(Write(rose), out MemoryEventCounters next) &&
                CgroupEventsPressureSource.LevelForChange(counters, next) == MemoryPressureLevel.Critical,
                "a rise in max is critical",
                text);
        }

        Targets.Check(CgroupEventsPressureSource.LevelForChange(counters, counters) is null, "no change is no level", text);
    }

    private static string Write(MemoryEventCounters c) => string.Create(
        CultureInfo.InvariantCulture,
        $"low {c.Low}\nhigh {c.High}\nmax {c.Max}\noom {c.Oom}\noom_kill {c.OomKill}\noom_group_kill 0\n");

    /// <summary>
    /// Whether some trimmed line starts with the key and a space; lines end where <see cref="MemoryExtensions.EnumerateLines(ReadOnlySpan{char})"/>
    /// ends them (a form feed or U+2028 too, afl-fuzz found: harmless, the kernel writes \n).
    /// </summary>
    private static bool HasKey(string text, string key) =>
        text.Split(s_lineBreaks).Any(line => line.Trim().StartsWith(key + " ", StringComparison.Ordinal));

    private static readonly char[] s_lineBreaks = ['\n', '\r', '\f', '\u0085', '\u2028', '\u2029'];
}
