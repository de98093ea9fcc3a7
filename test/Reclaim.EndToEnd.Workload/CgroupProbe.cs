using System.Globalization;

namespace Reclaim.EndToEnd.Workload;

/// <summary>
/// Reads the process's own memory cgroup (v1 <c>memory.usage_in_bytes</c> / <c>memory.limit_in_bytes</c>, or v2
/// <c>memory.current</c> / <c>memory.max</c>) for the sample lines: diagnostics only, the reclaimer has its own reader.
/// </summary>
internal sealed class CgroupProbe
{
    private readonly string? _usageFile;
    private readonly string? _limitFile;

    private CgroupProbe(string? usageFile, string? limitFile)
    {
        _usageFile = usageFile;
        _limitFile = limitFile;
    }

    public static CgroupProbe ForThisProcess()
    {
        try
        {
            if (!File.Exists("/proc/self/cgroup"))
            {
                return new CgroupProbe(null, null);
            }

            string? v2 = null;
            foreach (string line in File.ReadAllLines("/proc/self/cgroup"))
            {
                string[] parts = line.Split(':', 3);
                if (parts.Length != 3)
                {
                    continue;
                }

                if (parts[1].Split(',').Contains("memory"))
                {
                    string dir = "/sys/fs/cgroup/memory" + parts[2];
                    return new CgroupProbe(Path.Combine(dir, "memory.usage_in_bytes"), Path.Combine(dir, "memory.limit_in_bytes"));
                }

                if (parts[0] == "0" && parts[1].Length == 0)
                {
                    v2 = parts[2];
                }
            }

            string v2Dir = "/sys/fs/cgroup" + v2;
            return v2 is not null && File.Exists(Path.Combine(v2Dir, "memory.current"))
                ? new CgroupProbe(Path.Combine(v2Dir, "memory.current"), Path.Combine(v2Dir, "memory.max"))
                : new CgroupProbe(null, null);
        }
        catch (IOException)
        {
            return new CgroupProbe(null, null);
        }
        catch (UnauthorizedAccessException)
        {
            return new CgroupProbe(null, null);
        }
    }

    /// <summary>The cgroup's usage in bytes, or -1.</summary>
    public long ReadUsage() => Read(_usageFile);

    /// <summary>Where the cgroup is and its limit, for the start line.</summary>
    public string Describe() =>
        _usageFile is null ? "none" : string.Create(CultureInfo.InvariantCulture, $"{Path.GetDirectoryName(_usageFile)}@{Read(_limitFile)}");

    private static long Read(string? file)
    {
        if (file is null)
        {
            return -1;
        }

        try
        {
            string text = File.ReadAllText(file).Trim();
            return text == "max" ? long.MaxValue : long.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return -1;
        }
    }
}
