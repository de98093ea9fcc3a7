using System.Globalization;
using System.Numerics;
using System.Text;
using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim.Tests.Fuzz;

/// <summary>
/// The fuzz corpus of test/Reclaim.Fuzz (seeds and what afl-fuzz found), replayed through the core's parsers on every
/// test run with the properties each fuzz target checks (see that project's README.md), so the corpus cannot rot.
/// </summary>
public sealed class FuzzCorpusTests
{
    private const string Root = "/sys/fs/cgroup";

    [Theory]
    [InlineData("group-path")]
    [InlineData("cgroup-limit")]
    [InlineData("memory-events")]
    [InlineData("node-list")]
    [InlineData("psi-trigger")]
    public void Corpus_EveryInput_HoldsTheTargetsProperties(string target)
    {
        string[] inputs = Directory.GetFiles(Path.Combine(FindRoot(), "test", "Reclaim.Fuzz", "corpus", target));
        Assert.True(inputs.Length >= 4, $"only {inputs.Length} corpus inputs for {target}");
        Action<string> check = target switch
        {
            "group-path" => CheckGroupPath,
            "cgroup-limit" => CheckCgroupLimit,
            "memory-events" => CheckMemoryEvents,
            "node-list" => CheckNodeList,
            _ => CheckPsiTrigger,
        };

        foreach (string input in inputs)
        {
            byte[] bytes = File.ReadAllBytes(input);
            if (bytes.Length <= 4096)
            {
                check(Encoding.UTF8.GetString(bytes));
            }
        }
    }

    /// <summary>As GroupPathTarget: found exactly when a line names the memory hierarchy; reads back; a normalised directory under the mount.</summary>
    private static void CheckGroupPath(string text)
    {
        bool found = CgroupMemory.TryParseProcSelfCgroup(text, out int version, out string? path);
        Assert.Equal(NamesMemoryHierarchy(text), found);
        if (!found)
        {
            Assert.Equal(0, version);
            Assert.Null(path);
            return;
        }

        Assert.InRange(version, 1, 2);
        Assert.NotNull(path);
        Assert.DoesNotContain('\n', path);
        Assert.True(CgroupMemory.TryParseProcSelfCgroup(version == 1 ? $"4:memory:{path}\n" : $"0::{path}\n", out int againVersion, out string? againPath));
        Assert.Equal((version, path), (againVersion, againPath));

        string directory = CgroupMemory.CgroupDirectory(Root, path);
        Assert.True(
            directory == Root || (directory.StartsWith(Root + "/", StringComparison.Ordinal) && directory[(Root.Length + 1)..].Split('/').All(s => s is not ("" or "." or ".."))),
            $"'{directory}' is not a normalised path at or below {Root}");
        string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!segments.Any(s => s is "." or ".."))
        {
            Assert.Equal(segments.Length == 0 ? Root : Root + "/" + string.Join('/', segments), directory);
        }
    }

    private static bool NamesMemoryHierarchy(string text) =>
        text.Split('\n').Select(line => line.Trim().Split(':', 3))
            .Any(parts => parts.Length == 3 && ((parts[0] == "0" && parts[1].Length == 0) || parts[1].Split(',').Contains("memory")));

    /// <summary>As CgroupLimitTarget: accepted exactly for max or a whole number within long; 0..2^62 or none; reads back.</summary>
    private static void CheckCgroupLimit(string text)
    {
        bool ok = CgroupMemory.TryParseLimit(text, out long? limit);
        bool isMax = text.Trim() == "max";
        string trimmed = text.Trim().TrimEnd('\0'); // .NET's integer parsers ignore NULs at the end

        bool isNumber = trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit);
        Assert.Equal(isMax || (isNumber && BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) <= long.MaxValue), ok);
        if (!ok)
        {
            Assert.Null(limit);
        }
        else if (limit is { } value)
        {
            Assert.InRange(value, 0, (1L << 62) - 1);
            Assert.Equal(BigInteger.Parse(trimmed, CultureInfo.InvariantCulture), value);
            Assert.True(CgroupMemory.TryParseLimit(value.ToString(CultureInfo.InvariantCulture) + "\n", out long? back));
            Assert.Equal(value, back);
        }
        else
        {
            Assert.True(isMax || BigInteger.Parse(trimmed, CultureInfo.InvariantCulture) >= 1L << 62);
        }
    }

    /// <summary>As MemoryEventsTarget: needs high and max; counters never negative; written back, read back the same.</summary>
    private static void CheckMemoryEvents(string text)
    {
        if (!CgroupEventsPressureSource.TryParseMemoryEvents(text, out MemoryEventCounters counters))
        {
            Assert.Equal(default, counters);
            return;
        }

        // Lines end where EnumerateLines ends them: \r, \f, U+0085, U+2028 and U+2029 too.
        string[] lines = text.Split(['\n', '\r', '\f', '\u0085', '\u2028', '\u2029']);
        Assert.Contains(lines, line => line.Trim().StartsWith("high ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Trim().StartsWith("max ", StringComparison.Ordinal));
        Assert.True(counters.Low >= 0 && counters.High >= 0 && counters.Max >= 0 && counters.Oom >= 0 && counters.OomKill >= 0, counters.ToString());
        string written = string.Create(
            CultureInfo.InvariantCulture,
            $"low {counters.Low}\nhigh {counters.High}\nmax {counters.Max}\noom {counters.Oom}\noom_kill {counters.OomKill}\noom_group_kill 0\n");
        Assert.True(CgroupEventsPressureSource.TryParseMemoryEvents(written, out MemoryEventCounters again));
        Assert.Equal(counters, again);
        Assert.Null(CgroupEventsPressureSource.LevelForChange(counters, counters));
    }

    /// <summary>As NodeListTarget: a count of 1..MaxNodeCount that fits exactly, and reads back written as 0-N.</summary>
    private static void CheckNodeList(string text)
    {
        if (!NodeTopology.TryParseNodeList(text, ShrinkerRegistry.MaxNodeCount, out int count))
        {
            Assert.Equal(0, count);
            return;
        }

        Assert.InRange(count, 1, ShrinkerRegistry.MaxNodeCount);
        Assert.True(NodeTopology.TryParseNodeList(text, count, out int again));
        Assert.Equal(count, again);
        Assert.False(NodeTopology.TryParseNodeList(text, count - 1, out _));
        Assert.True(NodeTopology.TryParseNodeList(count == 1 ? "0" : string.Create(CultureInfo.InvariantCulture, $"0-{count - 1}"), ShrinkerRegistry.MaxNodeCount, out int back));
        Assert.Equal(count, back);
    }

    /// <summary>As PsiTriggerTarget: ArgumentException or a 0.5..10 s window; the canonical and unprivileged forms are accepted alike.</summary>
    private static void CheckPsiTrigger(string text)
    {
        if (!TryValidate(text, out MemoryPressureLevel level, out long window))
        {
            return;
        }

        Assert.InRange(window, 500_000, 10_000_000);
        Assert.True(TryValidate(string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries)), out MemoryPressureLevel againLevel, out long againWindow));
        Assert.Equal((level, window), (againLevel, againWindow));
        string? unprivileged = PsiPressureSource.UnprivilegedTrigger(text);
        if (window % 2_000_000 == 0)
        {
            Assert.Null(unprivileged);
            return;
        }

        Assert.NotNull(unprivileged);
        Assert.True(TryValidate(unprivileged, out MemoryPressureLevel wideLevel, out long wideWindow), unprivileged);
        Assert.Equal(level, wideLevel);
        Assert.Equal(0, wideWindow % 2_000_000);
        Assert.True(wideWindow >= window);
    }

    private static bool TryValidate(string text, out MemoryPressureLevel level, out long window)
    {
        try
        {
            level = PsiPressureSource.ValidateTrigger(text, "trigger", out window);
            Assert.True(level is MemoryPressureLevel.Moderate or MemoryPressureLevel.Critical);
            return true;
        }
        catch (ArgumentException e)
        {
            Assert.Equal("trigger", e.ParamName);
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            level = default;
            window = 0;
            return false;
        }
    }

    internal static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reclaim.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Reclaim.slnx above {AppContext.BaseDirectory}");
    }
}
