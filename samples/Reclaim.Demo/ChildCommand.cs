using System.Reflection;

namespace Reclaim.Demo;

/// <summary>
/// How to start this very program again as a child process: through the <c>dotnet</c> host with the program's dll
/// (<c>dotnet Reclaim.Demo.dll</c>), or through its own executable (the apphost that <c>dotnet run</c> starts).
/// </summary>
/// <param name="FileName">The executable to start.</param>
/// <param name="Prefix">The arguments before the program's own (the dll, when started through the host).</param>
internal sealed record ChildCommand(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary>The command that runs this program; null (with why) when it cannot be found.</summary>
    public static ChildCommand? ForThisProgram(out string? error) =>
        Resolve(Environment.ProcessPath, Assembly.GetEntryAssembly()?.Location, out error);

    /// <summary>
    /// The command for a process whose executable is <paramref name="processPath"/> and whose entry assembly is at
    /// <paramref name="entryAssembly"/>: the host and the dll when the executable is the <c>dotnet</c> host, else the
    /// executable itself (an apphost, or a single-file program whose assembly has no location).
    /// </summary>
    public static ChildCommand? Resolve(string? processPath, string? entryAssembly, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(processPath))
        {
            error = "the path of this program's executable is unknown (Environment.ProcessPath is null)";
            return null;
        }

        bool isHost = Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (!isHost)
        {
            return new ChildCommand(processPath, []);
        }

        if (string.IsNullOrEmpty(entryAssembly))
        {
            error = $"this program runs under {processPath} but its assembly's location is unknown";
            return null;
        }

        return new ChildCommand(processPath, [entryAssembly]);
    }

    /// <summary>The whole command line: <see cref="FileName"/>, <see cref="Prefix"/>, then <paramref name="arguments"/>.</summary>
    public IReadOnlyList<string> With(IEnumerable<string> arguments) => [FileName, .. Prefix, .. arguments];
}
