using Reclaim.Pressure;

namespace Reclaim.Fuzz;

/// <summary>
/// The process's cgroup path: <see cref="CgroupMemory.TryParseProcSelfCgroup"/> over the text of
/// <c>/proc/self/cgroup</c>, then <see cref="CgroupMemory.CgroupDirectory"/>, which places that path under the
/// hierarchy's mount.
/// </summary>
/// <remarks>
/// Properties: the parser never throws; it finds a path exactly when some line is a v2 <c>0::</c> line or a v1 line
/// whose controllers include <c>memory</c>; the path is one line's tail (no line break in it); written back as the only
/// line of its hierarchy, it reads back as the same version and path; and the directory is a normalised path at or
/// below the mount (no empty, <c>.</c> or <c>..</c> segment, no trailing slash), equal to the mount joined with the
/// path's segments whenever the path has no <c>.</c> or <c>..</c> segment.
/// </remarks>
internal static class GroupPathTarget
{
    private const string Root = "/sys/fs/cgroup";

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        bool found = CgroupMemory.TryParseProcSelfCgroup(text, out int version, out string? path);
        Targets.Check(found == NamesMemoryHierarchy(text), "finds a path exactly when a line names the memory hierarchy", text);
        if (!found)
        {
            Targets.Check(version == 0 && path is null, "a failed parse gives version 0 and no path", text);
            return;
        }

        Targets.Check(version is 1 or 2, "the version is 1 or 2", text);
        Targets.Check(path is not null && !path.Contains('\n', StringComparison.Ordinal), "the path is one line's tail", text);

        string line = version == 1 ? $"4:memory:{path}\n" : $"0::{path}\n";
        Targets.Check(
            CgroupMemory.TryParseProcSelfCgroup(line, out int againVersion, out string? againPath) && againVersion == version && againPath == path,
            "the path written back as its hierarchy's line reads back the same",
            text);

        string directory = CgroupMemory.CgroupDirectory(Root, path!);
        Targets.Check(IsNormalisedUnder(directory, Root), $"the directory '{Targets.Escape(directory)}' is a normalised path at or below the mount", text);
        string[] segments = path!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!segments.Any(s => s is "." or ".."))
        {
            string expected = segments.Length == 0 ? Root : Root + "/" + string.Join('/', segments);
            Targets.Check(directory == expected, $"the directory '{Targets.Escape(directory)}' is the mount joined with the path's segments", text);
        }
    }

    /// <summary>The oracle: some trimmed line is <c>0::…</c>, or <c>id:controllers:…</c> with <c>memory</c> among the controllers.</summary>
    private static bool NamesMemoryHierarchy(string text)
    {
        foreach (string raw in text.Split('\n'))
        {
            string[] parts = raw.Trim().Split(':', 3);
            if (parts.Length == 3 && ((parts[0] == "0" && parts[1].Length == 0) || parts[1].Split(',').Contains("memory")))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNormalisedUnder(string directory, string root)
    {
        if (directory == root)
        {
            return true;
        }

        if (!directory.StartsWith(root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        return directory[(root.Length + 1)..].Split('/').All(segment => segment is not ("" or "." or ".."));
    }
}
