using System.Net.Sockets;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Tool;

/// <summary>Turns the client's failures into the tool's: an exit code per kind, the message as the endpoint wrote it.</summary>
internal static class DiagnosticFailures
{
    /// <summary>The tool's exception for a failed request.</summary>
    /// <param name="exception">What the client threw.</param>
    /// <returns>The exception to report.</returns>
    public static ToolException From(ReclaimDiagnosticException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Code == DiagnosticErrorCode.ConnectionFailed &&
            exception.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied })
        {
            return new ToolException(ExitCode.Refused,
                $"{exception.Message} The endpoint belongs to another user: run the tool as that user or as root.", exception);
        }

        return new ToolException(ToExitCode(exception.Code), exception.Message, exception);
    }

    /// <summary>The exit code for an error code.</summary>
    /// <param name="code">The error code.</param>
    /// <returns>The exit code.</returns>
    public static ExitCode ToExitCode(DiagnosticErrorCode code) => code switch
    {
        DiagnosticErrorCode.NotFound => ExitCode.NotFound,
        DiagnosticErrorCode.InvalidArgument => ExitCode.UsageError,
        DiagnosticErrorCode.ReadOnly => ExitCode.Refused,
        DiagnosticErrorCode.EndpointNotFound => ExitCode.NoEndpoint,
        DiagnosticErrorCode.BadRequest or DiagnosticErrorCode.UnsupportedVersion or
            DiagnosticErrorCode.InvalidResponse or DiagnosticErrorCode.Unknown => ExitCode.ProtocolError,
        DiagnosticErrorCode.Busy or DiagnosticErrorCode.Timeout or DiagnosticErrorCode.ConnectionFailed => ExitCode.Unavailable,
        _ => ExitCode.Error,
    };
}
