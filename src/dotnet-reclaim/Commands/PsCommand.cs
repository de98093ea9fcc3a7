using Reclaim.Diagnostics;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Spectre.Console;

namespace Reclaim.Tool.Commands;

/// <summary><c>ps</c>: the processes with a Reclaim debug endpoint that this user can see.</summary>
internal sealed class PsCommand(ToolContext context)
{
    /// <summary>Lists the endpoints.</summary>
    /// <param name="json">Whether to print JSON.</param>
    /// <returns><see cref="ExitCode.Success"/>, also when there are none.</returns>
    public ExitCode Run(bool json)
    {
        var processes = ReclaimDiagnosticClient.GetEndpoints(context.EndpointDirectory)
            .Select(e => (Endpoint: e, CommandLine: ProcessNames.TryReadCommandLine(e.ProcessId)))
            .ToList();
        if (json)
        {
            JsonOutput.Write(context.Out, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("processes");
                foreach ((DiagnosticEndpoint endpoint, IReadOnlyList<string>? commandLine) in processes)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("process_id", endpoint.ProcessId);
                    writer.WriteString("process_name", endpoint.ProcessName);
                    writer.WriteString("app_name", ProcessNames.AppName(commandLine));
                    writer.WriteString("endpoint", endpoint.Address);
                    writer.WriteString("command_line", commandLine is null ? null : string.Join(' ', commandLine));
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return ExitCode.Success;
        }

        if (processes.Count == 0)
        {
            context.Console.WriteLine(
                $"No process has a Reclaim debug endpoint in {context.EndpointDirectoryForDisplay} (start one with {ReclaimDiagnosticServer.EnvironmentVariable}=1).");
            return ExitCode.Success;
        }

        var table = Tables.Create(">PID", "NAME", "ENDPOINT", "COMMAND LINE");
        foreach ((DiagnosticEndpoint endpoint, IReadOnlyList<string>? commandLine) in processes)
        {
            table.AddTextRow(
                Formats.Integer(endpoint.ProcessId),
                ProcessNames.AppName(commandLine) is { } app ? $"{endpoint.ProcessName} ({app})" : endpoint.ProcessName,
                endpoint.Address,
                commandLine is null ? string.Empty : string.Join(' ', commandLine));
        }

        context.Console.Write(table);
        return ExitCode.Success;
    }
}
