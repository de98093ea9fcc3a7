using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Reclaim.EndToEnd.Tests;

/// <summary>
/// A child memory cgroup (v1) under this process's own, with a memory limit: created for one test, processes started
/// into it through <c>sh -c 'echo $$ &gt; cgroup.procs &amp;&amp; exec ...'</c>, removed afterwards.
/// </summary>
internal sealed class CgroupV1Sandbox
{
    private const string MemoryMount = "/sys/fs/cgroup/memory";

    private CgroupV1Sandbox(string directory, long limitBytes)
    {
        Directory = directory;
        LimitBytes = limitBytes;
    }

    /// <summary>The cgroup's directory.</summary>
    public string Directory { get; }

    /// <summary>Its memory.limit_in_bytes.</summary>
    public long LimitBytes { get; }

    /// <summary>Creates the cgroup with <paramref name="limitBytes"/>; null with <paramref name="skipReason"/> when it cannot be made here.</summary>
    public static CgroupV1Sandbox? TryCreate(long limitBytes, out string? skipReason)
    {
        skipReason = null;
        if (!OperatingSystem.IsLinux())
        {
            skipReason = "cgroup v1 tests need Linux.";
            return null;
        }

        if (!File.Exists(Path.Combine(MemoryMount, "memory.limit_in_bytes")))
        {
            skipReason = $"No cgroup v1 memory controller mounted at {MemoryMount} (cgroup v2 only, or no memory controller).";
            return null;
        }

        string? own = OwnMemoryCgroup();
        if (own is null)
        {
            skipReason = "/proc/self/cgroup has no line for the v1 memory controller.";
            return null;
        }

        string parent = MemoryMount + own;
        if (!System.IO.Directory.Exists(parent))
        {
            skipReason = $"This process's memory cgroup {parent} is not visible (another cgroup namespace or mount).";
            return null;
        }

        string directory = Path.Combine(parent, $"reclaim-e2e-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            skipReason = $"Cannot create a memory cgroup under {parent} ({exception.GetType().Name}: {exception.Message}); " +
                         "run as root with a writable cgroup v1 memory hierarchy.";
            return null;
        }

        var sandbox = new CgroupV1Sandbox(directory, limitBytes);
        try
        {
            sandbox.Write("memory.limit_in_bytes", limitBytes);
            if (File.Exists(Path.Combine(directory, "memory.memsw.limit_in_bytes")))
            {
                // Memory + swap at the same limit: the workload cannot escape into swap.
                sandbox.Write("memory.memsw.limit_in_bytes", limitBytes);
            }

            long readBack = sandbox.Read("memory.limit_in_bytes");
            if (readBack != limitBytes)
            {
                skipReason = $"The cgroup {directory} did not take memory.limit_in_bytes={limitBytes} (reads {readBack}).";
                sandbox.TryRemove(TimeSpan.FromSeconds(5), out _);
                return null;
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            skipReason = $"Cannot set the memory limit of {directory} ({exception.GetType().Name}: {exception.Message}).";
            sandbox.TryRemove(TimeSpan.FromSeconds(5), out _);
            return null;
        }

        return sandbox;
    }

    /// <summary>
    /// The <c>sh</c> arguments that move the shell into this cgroup and exec <paramref name="fileName"/> with
    /// <paramref name="arguments"/> (passed as positional parameters, so nothing needs quoting).
    /// </summary>
    public IReadOnlyList<string> ShellArguments(string fileName, IReadOnlyList<string> arguments) =>
        ["-c", $"echo $$ > '{Path.Combine(Directory, "cgroup.procs")}' && exec \"$0\" \"$@\"", fileName, .. arguments];

    /// <summary>A counter file of the cgroup (memory.max_usage_in_bytes, memory.failcnt, ...); -1 when unreadable.</summary>
    public long Read(string file)
    {
        try
        {
            return long.Parse(File.ReadAllText(Path.Combine(Directory, file)).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return -1;
        }
    }

    /// <summary>How many processes the OOM killer killed in this cgroup (memory.oom_control's oom_kill); -1 when unknown.</summary>
    public long OomKills()
    {
        try
        {
            foreach (string line in File.ReadAllLines(Path.Combine(Directory, "memory.oom_control")))
            {
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("oom_kill ".Length), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return -1;
    }

    /// <summary>memory.max_usage_in_bytes as of <see cref="DescribeCounters"/> (the child has exited by then); -1 when unread.</summary>
    public long MaxUsageBytes { get; private set; } = -1;

    /// <summary>The OOM kills as of <see cref="DescribeCounters"/>; -1 when unread.</summary>
    public long OomKillsAtEnd { get; private set; } = -1;

    /// <summary>Reads the counters a report wants (keeping the peak and the OOM kills), on one line. Call it before <see cref="TryRemove"/>.</summary>
    public string DescribeCounters()
    {
        MaxUsageBytes = Read("memory.max_usage_in_bytes");
        OomKillsAtEnd = OomKills();
        return string.Create(CultureInfo.InvariantCulture,
            $"cgroup {Directory}: limit={LimitBytes} max_usage={MaxUsageBytes} usage={Read("memory.usage_in_bytes")} " +
            $"failcnt={Read("memory.failcnt")} oom_kill={OomKillsAtEnd}");
    }

    /// <summary>Removes the cgroup (rmdir), retrying while its last process is still being torn down.</summary>
    public bool TryRemove(TimeSpan within, out string? error)
    {
        error = null;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // Directory.Delete without recursion is rmdir(2): what a cgroup wants (its files cannot be deleted).
                System.IO.Directory.Delete(Directory);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                if (clock.Elapsed >= within)
                {
                    error = $"{exception.GetType().Name}: {exception.Message}; tasks left: {TasksLeft()}";
                    return false;
                }

                Thread.Sleep(100);
            }
        }
    }

    private string TasksLeft()
    {
        try
        {
            string tasks = File.ReadAllText(Path.Combine(Directory, "cgroup.procs")).Trim();
            return tasks.Length == 0 ? "none" : tasks.ReplaceLineEndings(",");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private void Write(string file, long value)
    {
        // Open the existing file for writing only (no create, no truncate games): what cgroupfs expects of a write.
        using var stream = new FileStream(Path.Combine(Directory, file), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        byte[] bytes = Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));
        stream.Write(bytes);
    }

    /// <summary>This process's path in the v1 memory hierarchy, from /proc/self/cgroup (<c>N:memory:/path</c>).</summary>
    private static string? OwnMemoryCgroup()
    {
        try
        {
            foreach (string line in File.ReadAllLines("/proc/self/cgroup"))
            {
                string[] parts = line.Split(':', 3);
                if (parts.Length == 3 && parts[1].Split(',').Contains("memory"))
                {
                    return parts[2];
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
