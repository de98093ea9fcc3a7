using System.Diagnostics;
using System.Globalization;
using Reclaim.Diagnostics;

namespace Reclaim.Tool.Targets;

/// <summary>
/// Finds the endpoint the user means and connects to it. The failures are the user's to fix, so each says what was
/// looked for, where, and what to do: no such process (<see cref="ExitCode.NotFound"/>), no endpoint
/// (<see cref="ExitCode.NoEndpoint"/>), or a choice to make (<see cref="ExitCode.UsageError"/>).
/// </summary>
internal static class TargetResolver
{
    /// <summary>Connects to the endpoint <paramref name="target"/> names.</summary>
    /// <param name="context">Where endpoints are.</param>
    /// <param name="target">The choice on the command line.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <returns>A connected client.</returns>
    /// <exception cref="ToolException">No process or endpoint matches, or more than one.</exception>
    /// <exception cref="ReclaimDiagnosticException">The endpoint could not be reached.</exception>
    public static async Task<ReclaimDiagnosticClient> ConnectAsync(ToolContext context, TargetOptions target, CancellationToken cancellationToken)
    {
        string address = target.Endpoint ?? Resolve(context, target).Address;
        return await ReclaimDiagnosticClient.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The endpoint <paramref name="target"/> names (it must not give an address outright).</summary>
    /// <param name="context">Where endpoints are.</param>
    /// <param name="target">The choice on the command line.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ToolException">No process or endpoint matches, or more than one.</exception>
    public static DiagnosticEndpoint Resolve(ToolContext context, TargetOptions target)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(target);
        IReadOnlyList<DiagnosticEndpoint> endpoints = ReclaimDiagnosticClient.GetEndpoints(context.EndpointDirectory);
        string where = context.EndpointDirectoryForDisplay;
        if (target.ProcessId is { } pid)
        {
            foreach (DiagnosticEndpoint endpoint in endpoints)
            {
                if (endpoint.ProcessId == pid)
                {
                    return endpoint;
                }
            }

            string? name = TryGetProcessName(pid);
            throw name is null
                ? new ToolException(ExitCode.NotFound, $"No process has id {Id(pid)}.")
                : new ToolException(ExitCode.NoEndpoint,
                    $"Process {Id(pid)} ({name}) has no Reclaim debug endpoint in {where}: start it with {ReclaimDiagnosticServer.EnvironmentVariable}=1 (or enable the endpoint in its options), as the same user.");
        }

        if (target.Name is { } wanted)
        {
            var matches = endpoints.Where(e => ProcessNames.Matches(wanted, e.ProcessName, ProcessNames.TryReadCommandLine(e.ProcessId))).ToList();
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new ToolException(ExitCode.UsageError,
                    $"{matches.Count} processes named '{wanted}' have a Reclaim debug endpoint (ids {Ids(matches)}); choose one with --process-id.");
            }

            throw IsRunning(wanted)
                ? new ToolException(ExitCode.NoEndpoint,
                    $"No process named '{wanted}' has a Reclaim debug endpoint in {where}: start it with {ReclaimDiagnosticServer.EnvironmentVariable}=1 (or enable the endpoint in its options), as the same user.")
                : new ToolException(ExitCode.NotFound, $"No process named '{wanted}' is running.");
        }

        return endpoints.Count switch
        {
            1 => endpoints[0],
            0 => throw new ToolException(ExitCode.NoEndpoint,
                $"No process has a Reclaim debug endpoint in {where}: start one with {ReclaimDiagnosticServer.EnvironmentVariable}=1 (or enable the endpoint in its options)."),
            _ => throw new ToolException(ExitCode.UsageError,
                $"{endpoints.Count} processes have a Reclaim debug endpoint (ids {Ids(endpoints)}); choose one with --process-id or --name ('dotnet-reclaim ps' lists them)."),
        };
    }

    private static string? TryGetProcessName(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.ProcessName;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsRunning(string name)
    {
        Process[] processes = Process.GetProcesses();
        try
        {
            return processes.Any(p =>
            {
                try
                {
                    return ProcessNames.Matches(name, p.ProcessName, ProcessNames.TryReadCommandLine(p.Id));
                }
                catch (InvalidOperationException)
                {
                    return false; // it exited meanwhile
                }
            });
        }
        finally
        {
            foreach (Process process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static string Id(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static string Ids(IEnumerable<DiagnosticEndpoint> endpoints) => string.Join(", ", endpoints.Select(e => Id(e.ProcessId)));
}
