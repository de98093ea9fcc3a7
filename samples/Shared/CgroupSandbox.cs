using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Reclaim.Samples;

/// <summary>
/// A child memory cgroup under this process's own, with a memory limit: v1 <c>memory.limit_in_bytes</c> or v2
/// <c>memory.max</c>, swap held to the same limit (v1 <c>memory.memsw.limit_in_bytes</c>) or off (v2
/// <c>memory.swap.max</c>). A process is started into it through <c>sh -c 'echo $$ &gt; cgroup.procs &amp;&amp; exec ...'</c>
/// (<see cref="Wrap"/>), so it is inside before the runtime reads its limit; the cgroup is removed afterwards
/// (<see cref="TryRemove"/>).
/// </summary>
/// <remarks>
/// One file, compiled into the demo (samples/Reclaim.Demo, <c>--cgroup</c>), the pressure benchmark
/// (bench/Reclaim.PressureBench, <c>--cgroup</c>) and the end-to-end tests (test/Reclaim.EndToEnd.Tests). Where a cgroup
/// cannot be made (not Linux, no memory controller, not permitted), <see cref="TryCreate"/> says why in one line, and
/// each caller does what fits: the demo falls back to a heap hard limit, the benchmark stops, the tests skip.
/// </remarks>
internal sealed class CgroupSandbox
{
    private const string Mount = "/sys/fs/cgroup";

    private CgroupSandbox(string directory, int version, long limitBytes)
    {
        Directory = directory;
        Version = version;
        LimitBytes = limitBytes;
    }

    /// <summary>The cgroup's directory.</summary>
    public string Directory { get; }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    /// <summary>Its memory limit, as the kernel took it.</summary>
    public long LimitBytes { get; }

    /// <summary>
    /// Creates the cgroup <c><paramref name="name"/>-(a GUID)</c> with <paramref name="limitBytes"/>; null, with why
    /// (one line, no final period), when it cannot be made here.
    /// </summary>
    public static CgroupSandbox? TryCreate(long limitBytes, string name, out string? reason)
    {
        reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "memory cgroups are a Linux feature";
            return null;
        }

        (string? v1Path, string? v2Path) = OwnCgroups();
        if (v1Path is not null && File.Exists(Path.Combine(Mount, "memory", "memory.limit_in_bytes")))
        {
            return Create(Path.Combine(Mount, "memory") + v1Path, 1, limitBytes, name, out reason);
        }

        if (v2Path is not null && File.Exists(Path.Combine(Mount, "cgroup.controllers")))
        {
            return Create(Mount + v2Path, 2, limitBytes, name, out reason);
        }

        reason = $"no cgroup memory controller is mounted at {Mount} (v1 {Mount}/memory, or v2)";
        return null;
    }

    /// <summary>
    /// The command that moves a shell into this cgroup and then becomes <paramref name="command"/> (passed as positional
    /// parameters, so nothing needs quoting): same process, so the cgroup holds it from its first allocation. The first
    /// element is the shell (<c>/bin/sh</c>), the rest its arguments.
    /// </summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command) =>
        ["/bin/sh", "-c", $"echo $$ > '{Path.Combine(Directory, "cgroup.procs")}' && exec \"$0\" \"$@\"", .. command];

    /// <summary>The limit as the cgroup reads now (v1 <c>memory.limit_in_bytes</c>, v2 <c>memory.max</c>); -1 when unreadable.</summary>
    public long ReadLimit() => Read(Version == 1 ? "memory.limit_in_bytes" : "memory.max");

    /// <summary>The cgroup's memory usage now (v1 <c>memory.usage_in_bytes</c>, v2 <c>memory.current</c>); -1 when unreadable.</summary>
    public long ReadUsage() => Read(Version == 1 ? "memory.usage_in_bytes" : "memory.current");

    /// <summary>
    /// The cgroup's peak memory usage (v1 <c>memory.max_usage_in_bytes</c>, v2 <c>memory.peak</c>); -1 when the kernel
    /// does not keep one (v2 before Linux 5.19).
    /// </summary>
    public long ReadPeak() => Read(Version == 1 ? "memory.max_usage_in_bytes" : "memory.peak");

    /// <summary>
    /// How many processes the kernel's OOM killer killed in the cgroup (<c>oom_kill</c> of v1 <c>memory.oom_control</c>,
    /// v2 <c>memory.events</c>); -1 when unknown.
    /// </summary>
    public long ReadOomKills()
    {
        try
        {
            foreach (string line in File.ReadAllLines(Path.Combine(Directory, Version == 1 ? "memory.oom_control" : "memory.events")))
            {
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("oom_kill ".Length), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
        }

        return -1;
    }

    /// <summary>A number in one of the cgroup's files (<c>memory.failcnt</c>, ...; <c>max</c> reads as <see cref="long.MaxValue"/>); -1 when unreadable.</summary>
    public long Read(string file) => ReadNumber(Path.Combine(Directory, file));

    /// <summary>
    /// Removes the cgroup (rmdir), retrying while its last process is still being torn down; false, with why (and the
    /// processes still in it), after <paramref name="within"/>.
    /// </summary>
    public bool TryRemove(TimeSpan within, out string? error)
    {
        error = null;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // Without recursion this is rmdir(2): what a cgroup wants (its files cannot be deleted).
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
                    error = $"{exception.GetType().Name}: {exception.Message}; processes left: {ProcessesLeft()}";
                    return false;
                }

                Thread.Sleep(50);
            }
        }
    }

    private static CgroupSandbox? Create(string parent, int version, long limitBytes, string name, out string? reason)
    {
        reason = null;
        if (!System.IO.Directory.Exists(parent))
        {
            reason = $"this process's memory cgroup {parent} is not visible here (another cgroup namespace or mount)";
            return null;
        }

        if (version == 2 && !EnableMemoryForChildren(parent, out reason))
        {
            return null;
        }

        string directory = Path.Combine(parent, $"{name}-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            reason = $"cannot create a cgroup under {parent} ({exception.Message.TrimEnd('.')}): run as root, or where the cgroup is delegated to you";
            return null;
        }

        string limit = limitBytes.ToString(CultureInfo.InvariantCulture);
        try
        {
            if (version == 1)
            {
                Write(directory, "memory.limit_in_bytes", limit);
                if (File.Exists(Path.Combine(directory, "memory.memsw.limit_in_bytes")))
                {
                    // Memory + swap at the same limit: the process cannot escape into swap.
                    Write(directory, "memory.memsw.limit_in_bytes", limit);
                }
            }
            else
            {
                Write(directory, "memory.max", limit);
                if (File.Exists(Path.Combine(directory, "memory.swap.max")))
                {
                    Write(directory, "memory.swap.max", "0");
                }
            }

            // The kernel may round the limit down to a page; never up.
            long taken = ReadNumber(Path.Combine(directory, version == 1 ? "memory.limit_in_bytes" : "memory.max"));
            if (taken <= 0 || taken > limitBytes)
            {
                throw new IOException($"the limit reads {taken} after writing {limitBytes}");
            }

            return new CgroupSandbox(directory, version, taken);
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            reason = $"cannot set the memory limit of {directory} ({exception.Message.TrimEnd('.')})";
            try
            {
                System.IO.Directory.Delete(directory);
            }
            catch (Exception cleanup) when (cleanup is UnauthorizedAccessException or IOException)
            {
            }

            return null;
        }
    }

    /// <summary>
    /// cgroup v2 gives a child the memory controller only when the parent's <c>cgroup.subtree_control</c> has it, and a
    /// parent can enable it there only while it has no processes of its own ("no internal processes").
    /// </summary>
    private static bool EnableMemoryForChildren(string parent, out string? reason)
    {
        reason = null;
        string control = Path.Combine(parent, "cgroup.subtree_control");
        try
        {
            if (File.ReadAllText(control).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains("memory"))
            {
                return true;
            }

            Write(parent, "cgroup.subtree_control", "+memory");
            return true;
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            reason = $"the memory controller is not enabled for children of {parent} and cannot be ({exception.Message.TrimEnd('.')}); " +
                     "cgroup v2 allows it only in a cgroup without processes of its own: start in a delegated scope " +
                     "(systemd-run --user --scope -p Delegate=yes ...) or as root";
            return false;
        }
    }

    /// <summary>This process's cgroup paths from /proc/self/cgroup: v1 memory (<c>N:memory:/path</c>) and v2 (<c>0::/path</c>).</summary>
    private static (string? V1, string? V2) OwnCgroups()
    {
        string? v1 = null, v2 = null;
        try
        {
            foreach (string line in File.ReadAllLines("/proc/self/cgroup"))
            {
                string[] parts = line.Split(':', 3);
                if (parts.Length != 3)
                {
                    continue;
                }

                if (parts[1].Split(',').Contains("memory"))
                {
                    v1 = parts[2];
                }
                else if (parts[0] == "0" && parts[1].Length == 0)
                {
                    v2 = parts[2];
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        return (v1, v2);
    }

    private string ProcessesLeft()
    {
        try
        {
            string processes = File.ReadAllText(Path.Combine(Directory, "cgroup.procs")).Trim();
            return processes.Length == 0 ? "none" : processes.ReplaceLineEndings(",");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>A number in a cgroup file (<c>max</c> reads as <see cref="long.MaxValue"/>); -1 when unreadable.</summary>
    private static long ReadNumber(string path)
    {
        try
        {
            string text = File.ReadAllText(path).Trim();
            return text == "max" ? long.MaxValue : long.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return -1;
        }
    }

    private static void Write(string directory, string file, string value)
    {
        // Open the existing file for writing only, unbuffered: one write(2), as cgroupfs expects.
        using var stream = new FileStream(Path.Combine(directory, file), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(Encoding.ASCII.GetBytes(value));
    }
}
