using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Reclaim.Pressure;

/// <summary>
/// The process's memory cgroup, v1 or v2, read from the files the kernel exposes: its limit (the smallest over the
/// cgroup and its ancestors, as the kernel enforces it), v2's <c>memory.high</c>, and its usage minus inactive file
/// pages (what the runtime itself counts as used: page cache the kernel can drop on its own is not pressure).
/// </summary>
/// <remarks>
/// Where both hierarchies are mounted (hybrid), the memory controller's own hierarchy is used: v1 when a v1 memory line
/// is in <c>/proc/self/cgroup</c>, else v2. Files are read on every call (a cgroup write changes them at run time); each
/// read is a few small files, cheap enough for a periodic sampler but not for a hot path.
/// </remarks>
internal sealed class CgroupMemory : IDisposable
{
    // v1 reports "no limit" as the largest page-aligned long (9223372036854771712); anything this large is no limit.
    private const long UnlimitedThreshold = 1L << 62;

    private readonly string _root;

    private CgroupMemory(int version, string directory, string root)
    {
        Version = version;
        Directory = directory;
        _root = root;
    }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    /// <summary>The process's memory cgroup directory.</summary>
    public string Directory { get; }

    /// <summary>Finds the process's memory cgroup, or null where there is none (not Linux, no memory controller, not mounted).</summary>
    /// <param name="procSelfCgroup">The text of <c>/proc/self/cgroup</c>; null to read it.</param>
    /// <param name="cgroupRoot">Where the cgroup file systems are mounted.</param>
    public static CgroupMemory? Detect(string? procSelfCgroup = null, string cgroupRoot = "/sys/fs/cgroup")
    {
        try
        {
            procSelfCgroup ??= OperatingSystem.IsLinux() && File.Exists("/proc/self/cgroup") ? File.ReadAllText("/proc/self/cgroup") : null;
        }
        catch (IOException)
        {
            return null;
        }

        if (procSelfCgroup is null)
        {
            return null;
        }

        if (!TryParseProcSelfCgroup(procSelfCgroup, out int version, out string? path))
        {
            return null;
        }

        if (version == 1)
        {
            string root = Path.Combine(cgroupRoot, "memory");
            string? dir = Existing(root, path, "memory.limit_in_bytes");
            return dir is null ? null : new CgroupMemory(1, dir, root);
        }

        string? v2Dir = Existing(cgroupRoot, path, "memory.current");
        return v2Dir is null ? null : new CgroupMemory(2, v2Dir, cgroupRoot);
    }

    /// <summary>
    /// Parses the text of <c>/proc/self/cgroup</c> (<c>hierarchy-id:controllers:path</c> lines) into the memory
    /// controller's hierarchy and the process's path in it: v1 when a v1 line lists <c>memory</c>, else v2's
    /// <c>0::path</c> line; the last such line wins.
    /// </summary>
    /// <param name="text">The file's text.</param>
    /// <param name="version">1 or 2.</param>
    /// <param name="path">The path as the file gives it, relative to the hierarchy's mount (<c>/</c>, <c>/svc/app</c>).</param>
    /// <returns>False when no line names the memory controller's hierarchy.</returns>
    internal static bool TryParseProcSelfCgroup(string text, out int version, [NotNullWhen(true)] out string? path)
    {
        string? v1Path = null, v2Path = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            if (parts[0] == "0" && parts[1].Length == 0)
            {
                v2Path = parts[2];
            }
            else if (parts[1].Split(',').Contains("memory"))
            {
                v1Path = parts[2];
            }
        }

        version = v1Path is not null ? 1 : v2Path is not null ? 2 : 0;
        path = v1Path ?? v2Path;
        return path is not null;
    }

    /// <summary>
    /// A memory cgroup at a known directory rather than the process's own: a child cgroup a test made, or one a caller
    /// found another way. Nothing is checked; reads of a directory that is not a cgroup return null.
    /// </summary>
    /// <param name="version">1 or 2.</param>
    /// <param name="directory">The cgroup's directory, such as <c>/sys/fs/cgroup/memory/app</c>.</param>
    /// <param name="root">Where its hierarchy is mounted (the limit is looked for up to here), such as <c>/sys/fs/cgroup/memory</c>.</param>
    internal static CgroupMemory ForDirectory(int version, string directory, string root)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, 2);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(root);
        return new CgroupMemory(version, directory, root);
    }

    /// <summary>The hard limit in bytes (the smallest over the hierarchy), or null when unlimited or unreadable.</summary>
    public long? ReadLimit() => SmallestUpTheHierarchy(Version == 1 ? "memory.limit_in_bytes" : "memory.max");

    /// <summary>v2's <c>memory.high</c> (smallest over the hierarchy), or null when unset, unlimited or v1.</summary>
    public long? ReadHigh() => Version == 2 ? SmallestUpTheHierarchy("memory.high") : null;

    /// <summary>Usage in bytes minus inactive file pages, or null when unreadable.</summary>
    /// <remarks>
    /// Sampled often, so it allocates nothing after the first call: the two files stay open and are read from offset 0
    /// into one buffer (cgroup files are generated on each read from the start), under a lock, since any thread may
    /// read usage.
    /// </remarks>
    public long? ReadUsage()
    {
        lock (_usageGate)
        {
            try
            {
                _usageFile ??= File.OpenHandle(Path.Combine(Directory, Version == 1 ? "memory.usage_in_bytes" : "memory.current"));
                _statFile ??= File.OpenHandle(Path.Combine(Directory, "memory.stat"));
                if (!TryParseNumber(ReadWhole(_usageFile), out long usage))
                {
                    return null;
                }

                long inactiveFile = FindStat(ReadWhole(_statFile), Version == 1 ? "total_inactive_file "u8 : "inactive_file "u8);
                return Math.Max(0, usage - inactiveFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The cgroup went away or was never readable: drop the handles, so a later call tries again.
                _usageFile?.Dispose();
                _statFile?.Dispose();
                _usageFile = _statFile = null;
                return null;
            }
        }
    }

    /// <summary>Closes the files <see cref="ReadUsage"/> keeps open.</summary>
    public void Dispose()
    {
        lock (_usageGate)
        {
            _usageFile?.Dispose();
            _statFile?.Dispose();
            _usageFile = _statFile = null;
        }
    }

    private readonly object _usageGate = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _usageFile;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _statFile;
    private byte[] _buffer = new byte[4096];

    /// <summary>The whole file from offset 0, growing the buffer until it fits.</summary>
    private ReadOnlySpan<byte> ReadWhole(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        while (true)
        {
            int read = RandomAccess.Read(file, _buffer, 0);
            if (read < _buffer.Length)
            {
                return _buffer.AsSpan(0, read);
            }

            _buffer = new byte[_buffer.Length * 2];
        }
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> text, out long value) =>
        System.Buffers.Text.Utf8Parser.TryParse(text.Trim("\n "u8), out value, out int consumed) && consumed > 0;

    /// <summary>The value of the line that starts with <paramref name="key"/> (with its space), or 0.</summary>
    private static long FindStat(ReadOnlySpan<byte> stat, ReadOnlySpan<byte> key)
    {
        while (!stat.IsEmpty)
        {
            int end = stat.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? stat : stat[..end];
            if (line.StartsWith(key) && TryParseNumber(line[key.Length..], out long value))
            {
                return value;
            }

            stat = end < 0 ? default : stat[(end + 1)..];
        }

        return 0;
    }

    /// <summary>Parses a limit file's text: a number, or <c>max</c> (v2) / a huge number (v1) for no limit.</summary>
    internal static bool TryParseLimit(string text, out long? limit)
    {
        text = text.Trim();
        limit = null;
        if (text == "max")
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return false;
        }

        limit = value >= UnlimitedThreshold ? null : value;
        return true;
    }

    private static string? Existing(string root, string cgroupPath, string probeFile)
    {
        // In a container the process's path may be relative to a mount of its own cgroup: fall back to the root.
        string dir = CgroupDirectory(root, cgroupPath);
        if (File.Exists(Path.Combine(dir, probeFile)))
        {
            return dir;
        }

        return File.Exists(Path.Combine(root, probeFile)) ? root : null;
    }

    /// <summary>
    /// The directory of the cgroup at <paramref name="cgroupPath"/> (as <c>/proc/self/cgroup</c> gives it) in the
    /// hierarchy mounted at <paramref name="root"/>: normalised (no empty, <c>.</c> or <c>..</c> segment, no trailing
    /// slash), and never outside the mount: a path that climbs above it (<c>/../..</c>, as the kernel writes the cgroup
    /// of a process outside the reader's cgroup namespace) is the mount itself, the same fallback as a path not mounted.
    /// </summary>
    internal static string CgroupDirectory(string root, string cgroupPath)
    {
        var segments = new List<string>();
        foreach (string segment in cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    return root;
                }

                segments.RemoveAt(segments.Count - 1);
            }
            else if (segment != ".")
            {
                segments.Add(segment);
            }
        }

        return segments.Count == 0 ? root : Path.Combine(root, string.Join('/', segments));
    }

    private static long? ReadNumber(string file)
    {
        try
        {
            return File.Exists(file) && TryParseLimit(File.ReadAllText(file), out long? value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private long? SmallestUpTheHierarchy(string file)
    {
        long? smallest = null;
        string root = Path.GetFullPath(_root);
        for (string? dir = Path.GetFullPath(Directory); dir is not null && dir.StartsWith(root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir))
        {
            long? value = ReadNumber(Path.Combine(dir, file));
            if (value is not null && (smallest is null || value < smallest))
            {
                smallest = value;
            }
        }

        return smallest;
    }
}
