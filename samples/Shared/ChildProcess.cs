using System.Diagnostics;

namespace Reclaim.Samples;

/// <summary>
/// How the demo, the pressure benchmark and the end-to-end tests start a .NET child under a memory limit: output
/// redirected, this process's environment less its GC settings (so the limit the child gets is the one given, not one
/// inherited), plus the variables given.
/// </summary>
internal static class ChildProcess
{
    // Every GC setting the runtime reads from the environment, in both spellings (DOTNET_GCHeapHardLimit,
    // COMPlus_gcServer, ...); matched case-insensitively.
    private static readonly string[] s_gcVariablePrefixes = ["DOTNET_GC", "COMPlus_GC"];

    /// <summary>The start info for <paramref name="fileName"/> with <paramref name="arguments"/> and <paramref name="environment"/>.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments, each passed as one.</param>
    /// <param name="environment">Variables to set on top of this process's environment less its GC settings.</param>
    /// <param name="redirectInput">Whether the child's standard input is a pipe (so it cannot read the terminal).</param>
    public static ProcessStartInfo StartInfo(
        string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>> environment, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (string key in info.Environment.Keys.ToList())
        {
            if (s_gcVariablePrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                info.Environment.Remove(key);
            }
        }

        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }
}
