using System.Globalization;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// Endpoint names: <c>$TMPDIR/reclaim-{pid}-{start key}-socket</c> on Unix, the pipe <c>reclaim-{pid}-{start key}</c> on
/// Windows, after the runtime's <c>dotnet-diagnostic-{pid}-{start key}-socket</c>.
/// </summary>
internal static class EndpointNames
{
    public const string Prefix = "reclaim-";
    public const string SocketSuffix = "-socket";
    public const string SocketPattern = "reclaim-*-socket";

    /// <summary>Where the endpoints are: the temporary directory (<c>$TMPDIR</c>, else <c>/tmp/</c>).</summary>
    public static string DefaultDirectory => Path.GetTempPath();

    public static string SocketFileName(int pid, ulong startKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{pid}-{startKey}{SocketSuffix}");

    public static string PipeName(int pid, ulong startKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{pid}-{startKey}");

    /// <summary>The default endpoint of this process: a socket path on Unix, a pipe name on Windows.</summary>
    public static string ForCurrentProcess() => OperatingSystem.IsWindows()
        ? PipeName(Environment.ProcessId, ProcessInfo.CurrentStartKey)
        : Path.Combine(DefaultDirectory, SocketFileName(Environment.ProcessId, ProcessInfo.CurrentStartKey));

    /// <summary>Reads the pid and start key out of a socket file name or a pipe name; false for any other name.</summary>
    public static bool TryParse(string name, out int pid, out ulong startKey)
    {
        pid = 0;
        startKey = 0;
        ReadOnlySpan<char> rest = name;
        if (!rest.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        rest = rest[Prefix.Length..];
        if (rest.EndsWith(SocketSuffix, StringComparison.Ordinal))
        {
            rest = rest[..^SocketSuffix.Length];
        }

        int dash = rest.IndexOf('-');
        return dash > 0 &&
            int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out pid) &&
            ulong.TryParse(rest[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out startKey);
    }
}
