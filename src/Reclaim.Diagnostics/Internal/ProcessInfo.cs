using System.Diagnostics;
using System.Globalization;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// What identifies a process over time: its id and its start time, which together tell a live process from one that
/// died and whose id was given to another (the runtime's diagnostics port names its socket the same way).
/// </summary>
internal static class ProcessInfo
{
    private static readonly Lazy<ulong> s_currentStartKey = new(() => TryGetStartKey(Environment.ProcessId) ?? 0);
    private static readonly Lazy<string> s_currentName = new(() => TryGetName(Environment.ProcessId) ?? "unknown");

    /// <summary>This process's start key.</summary>
    public static ulong CurrentStartKey => s_currentStartKey.Value;

    /// <summary>This process's name.</summary>
    public static string CurrentName => s_currentName.Value;

    /// <summary>
    /// A process's start time as the runtime's diagnostics port takes it: on Linux field 22 of <c>/proc/&lt;pid&gt;/stat</c>
    /// (clock ticks since boot), elsewhere the start time in UTC ticks. Null when the process does not exist (any more).
    /// </summary>
    public static ulong? TryGetStartKey(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");

                // The command name (field 2) is in parentheses and may hold spaces and ')': fields 3 on start after the last ')'.
                int close = stat.LastIndexOf(')');
                string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                const int StartTimeField = 22 - 3;
                return fields.Length > StartTimeField &&
                    ulong.TryParse(fields[StartTimeField], NumberStyles.None, CultureInfo.InvariantCulture, out ulong ticks)
                    ? ticks
                    : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return (ulong)process.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Whether the process <paramref name="pid"/> is alive and started at <paramref name="startKey"/> (not a later process given the same id).</summary>
    public static bool IsAlive(int pid, ulong startKey) => TryGetStartKey(pid) == startKey;

    /// <summary>A process's name, or null when it does not exist (any more).</summary>
    public static string? TryGetName(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.ProcessName;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}
