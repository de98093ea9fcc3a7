using Reclaim.Diagnostics.Internal;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics;

// Finding endpoints: the sockets (or pipes) named reclaim-{pid}-{start}, of processes that are alive and started then.
public sealed partial class ReclaimDiagnosticClient
{
    /// <summary>
    /// The debug endpoints of running processes (<c>dotnet-reclaim ps</c>): every <c>reclaim-{pid}-{start}-socket</c>
    /// in <paramref name="directory"/> (named pipes <c>reclaim-{pid}-{start}</c> on Windows) whose process is alive and
    /// is the one that made it (not a later process given the same id), by process id.
    /// </summary>
    /// <param name="directory">Where to look on Unix; <see langword="null"/> for the temporary directory (<c>$TMPDIR</c>, else <c>/tmp</c>), where servers listen by default.</param>
    /// <returns>The endpoints found; empty when there are none.</returns>
    public static IReadOnlyList<DiagnosticEndpoint> GetEndpoints(string? directory = null)
    {
        var endpoints = new List<DiagnosticEndpoint>();
        foreach (string address in Candidates(directory))
        {
            string name = OperatingSystem.IsWindows() ? address : Path.GetFileName(address);
            if (EndpointNames.TryParse(name, out int pid, out ulong startKey) &&
                ProcessInfo.IsAlive(pid, startKey) &&
                ProcessInfo.TryGetName(pid) is { } processName)
            {
                endpoints.Add(new DiagnosticEndpoint(pid, processName, address));
            }
        }

        endpoints.Sort((a, b) => a.ProcessId.CompareTo(b.ProcessId));
        return endpoints;
    }

    /// <summary>Connects to the debug endpoint of process <paramref name="processId"/>.</summary>
    /// <param name="processId">The process id.</param>
    /// <param name="directory">Where to look on Unix; <see langword="null"/> for the temporary directory.</param>
    /// <param name="cancellationToken">Stops the connection attempt.</param>
    /// <returns>A connected client.</returns>
    /// <exception cref="ReclaimDiagnosticException">
    /// <see cref="DiagnosticErrorCode.EndpointNotFound"/>: the process is not running or has no endpoint;
    /// <see cref="DiagnosticErrorCode.ConnectionFailed"/>: it could not be reached.
    /// </exception>
    public static Task<ReclaimDiagnosticClient> ConnectToProcessAsync(int processId, string? directory = null, CancellationToken cancellationToken = default)
    {
        foreach (DiagnosticEndpoint endpoint in GetEndpoints(directory))
        {
            if (endpoint.ProcessId == processId)
            {
                return ConnectAsync(endpoint.Address, cancellationToken);
            }
        }

        string why = ProcessInfo.TryGetStartKey(processId) is null
            ? $"No process has id {processId}."
            : $"Process {processId} has no Reclaim debug endpoint: start it with {ReclaimDiagnosticServer.EnvironmentVariable}=1 (or enable the endpoint in its options), as the same user.";
        throw new ReclaimDiagnosticException(DiagnosticErrorCode.EndpointNotFound, why);
    }

    private static IEnumerable<string> Candidates(string? directory)
    {
        try
        {
            return OperatingSystem.IsWindows()
                ? Directory.GetFiles(@"\\.\pipe\").Select(p => Path.GetFileName(p)).Where(n => n.StartsWith(EndpointNames.Prefix, StringComparison.Ordinal))
                : Directory.GetFiles(directory ?? EndpointNames.DefaultDirectory, EndpointNames.SocketPattern);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
