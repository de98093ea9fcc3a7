using System.Globalization;

namespace Reclaim.Reaction;

/// <summary>
/// CPU time per thread of this process, from <c>/proc/self/task/*/schedstat</c> (nanoseconds on the CPU) and the thread
/// names in <c>stat</c> (the kernel keeps 15 characters). Empty where procfs or schedstat is missing.
/// </summary>
internal static class ThreadCpu
{
    public static Dictionary<int, (string Name, long Nanoseconds)> Snapshot()
    {
        var threads = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return threads;
        }

        foreach (string directory in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal);
                int close = stat.LastIndexOf(')');
                string schedstat = File.ReadAllText(Path.Combine(directory, "schedstat"));
                long nanoseconds = long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                threads[int.Parse(Path.GetFileName(directory), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], nanoseconds);
            }
            catch (IOException)
            {
                // The thread ended while we read it.
            }
        }

        return threads;
    }

    /// <summary>CPU time per thread name between two snapshots, largest first; without the main thread, which takes them.</summary>
    public static IReadOnlyList<(string Name, TimeSpan Cpu)> Between(
        Dictionary<int, (string Name, long Nanoseconds)> before, Dictionary<int, (string Name, long Nanoseconds)> after) =>
        [.. after
            .Where(t => t.Key != Environment.ProcessId)
            .Select(t => (t.Value.Name, Nanoseconds: t.Value.Nanoseconds - (before.TryGetValue(t.Key, out var b) ? b.Nanoseconds : 0)))
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, TimeSpan.FromTicks(g.Sum(t => t.Nanoseconds) / 100)))
            .OrderByDescending(t => t.Item2)];
}
