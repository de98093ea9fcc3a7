using System.Globalization;

namespace Reclaim.Tool.Targets;

/// <summary>
/// What a process is called. A process run as <c>dotnet app.dll</c> is named <c>dotnet</c>, which says little, so its
/// app name (<c>app</c>) is taken from its command line too, and <c>--name</c> matches either.
/// </summary>
internal static class ProcessNames
{
    /// <summary>A process's command line, or <see langword="null"/> where it cannot be read (another OS, the process gone).</summary>
    /// <param name="processId">The process id.</param>
    /// <returns>The arguments, the program first.</returns>
    public static IReadOnlyList<string>? TryReadCommandLine(int processId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            string raw = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/cmdline");
            string[] parts = raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 0 ? null : parts;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The app a <c>dotnet</c> host runs: the name of the first <c>.dll</c> argument without its extension; else <see langword="null"/>.</summary>
    /// <param name="commandLine">The command line, or <see langword="null"/>.</param>
    /// <returns>The app's name, or <see langword="null"/>.</returns>
    public static string? AppName(IReadOnlyList<string>? commandLine)
    {
        if (commandLine is not { Count: > 1 } ||
            !Path.GetFileNameWithoutExtension(commandLine[0]).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (string argument in commandLine.Skip(1))
        {
            if (argument.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                return Path.GetFileNameWithoutExtension(argument);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> names the process: its process name or its app name, ignoring case.</summary>
    /// <param name="name">The name asked for.</param>
    /// <param name="processName">The process name.</param>
    /// <param name="commandLine">Its command line, or <see langword="null"/>.</param>
    /// <returns>Whether it matches.</returns>
    public static bool Matches(string name, string processName, IReadOnlyList<string>? commandLine) =>
        name.Equals(processName, StringComparison.OrdinalIgnoreCase) ||
        (AppName(commandLine) is { } app && name.Equals(app, StringComparison.OrdinalIgnoreCase));
}
