using System.Text.Json.Serialization.Metadata;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// Answers requests: one request line in, one response line out, never an exception. Safe to call from many
/// connections at once (each command reads the registry as diagnostics may: without locks, at one moment).
/// </summary>
internal sealed partial class CommandHandler(
    ShrinkerRegistry registry,
    Reclaimer? reclaimer,
    RunHistory? history,
    bool readOnly,
    TimeProvider time,
    Action<string> log)
{
    private int _dropping;

    /// <summary>The answer to one request line.</summary>
    public byte[] Handle(ReadOnlySpan<byte> line)
    {
        if (!DiagnosticProtocol.TryParseRequest(line, out DiagnosticRequest? request, out DiagnosticError? error))
        {
            return ResponseLine.Failure(error);
        }

        try
        {
            if (readOnly && request.Command is DiagnosticCommand.Scan or DiagnosticCommand.DropCaches or DiagnosticCommand.SetGroup)
            {
                throw new CommandException(DiagnosticErrorCode.ReadOnly,
                    $"The endpoint is read-only: '{DiagnosticProtocol.ToWireName(request.Command)}' would change the process.");
            }

            return request.Command switch
            {
                DiagnosticCommand.List => Success(List(), DiagnosticJsonContext.Default.ShrinkerListResult),
                DiagnosticCommand.Count => Success(Count(request.Shrinker!), DiagnosticJsonContext.Default.ShrinkerCountResult),
                DiagnosticCommand.Scan => Success(Scan(request), DiagnosticJsonContext.Default.ShrinkerScanResult),
                DiagnosticCommand.DropCaches => Success(DropCaches(), DiagnosticJsonContext.Default.DropCachesResult),
                DiagnosticCommand.Groups => Success(Groups(), DiagnosticJsonContext.Default.GroupListResult),
                DiagnosticCommand.SetGroup => Success(SetGroup(request), DiagnosticJsonContext.Default.GroupInfo),
                DiagnosticCommand.Stat => Success(Stat(), DiagnosticJsonContext.Default.StatResult),
                _ => Success(GetVersion(), DiagnosticJsonContext.Default.VersionResult),
            };
        }
        catch (CommandException ex)
        {
            return ResponseLine.Failure(ex.Code, ex.Message);
        }
#pragma warning disable CA1031 // Nothing a request does may escape into the host: the client gets 'internal', the log the details.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log($"The '{DiagnosticProtocol.ToWireName(request.Command)}' request failed: {ex}");
            return ResponseLine.Failure(DiagnosticErrorCode.Internal,
                $"The server failed to answer '{DiagnosticProtocol.ToWireName(request.Command)}': {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static byte[] Success<T>(T result, JsonTypeInfo<T> typeInfo) => ResponseLine.Success(result, typeInfo);

    /// <summary>The registered shrinker with that debug name, or <c>not_found</c>.</summary>
    private Shrinker FindShrinker(string debugName) =>
        registry.FindShrinker(debugName)
        ?? throw new CommandException(DiagnosticErrorCode.NotFound,
            $"No registered shrinker is named '{Truncate(debugName)}'; 'list' shows them as name-id.");

    /// <summary>An <see cref="ArgumentException"/>'s message without the parameter and value lines the runtime adds.</summary>
    private static string Plain(ArgumentException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return cut >= 0 ? message[..cut] : message;
    }

    private static string Truncate(string text) => Text.Cut(text);

    /// <summary>An expected failure of a command, answered with its code.</summary>
    private sealed class CommandException(DiagnosticErrorCode code, string message) : Exception(message)
    {
        public DiagnosticErrorCode Code { get; } = code;
    }
}
