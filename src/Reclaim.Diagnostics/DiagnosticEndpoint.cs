namespace Reclaim.Diagnostics;

/// <summary>A process's debug endpoint, as <see cref="ReclaimDiagnosticClient.GetEndpoints"/> finds it (<c>dotnet-reclaim ps</c>).</summary>
/// <param name="ProcessId">The process id.</param>
/// <param name="ProcessName">The process name.</param>
/// <param name="Address">Where to connect: the socket path, or the pipe name on Windows.</param>
public sealed record DiagnosticEndpoint(int ProcessId, string ProcessName, string Address);
