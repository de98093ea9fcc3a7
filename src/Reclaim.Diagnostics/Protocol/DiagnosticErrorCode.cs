namespace Reclaim.Diagnostics.Protocol;

/// <summary>
/// Why a request failed. The first eight travel on the wire (their wire names are in their summaries); the others are
/// raised by <see cref="ReclaimDiagnosticClient"/> itself and never sent.
/// </summary>
public enum DiagnosticErrorCode
{
    /// <summary><c>bad_request</c>: not one JSON object on one line, a field missing, unknown, repeated or of the wrong type, an unknown command, or a line longer than the server takes.</summary>
    BadRequest,

    /// <summary><c>unsupported_version</c>: the request's <c>v</c> is a protocol version the server does not speak.</summary>
    UnsupportedVersion,

    /// <summary><c>not_found</c>: no registered shrinker has that <c>name-id</c>, or no online group has that id.</summary>
    NotFound,

    /// <summary><c>invalid_argument</c>: a value out of range (a node, a negative count, a group given to a shrinker that is not group-aware, a limit below another).</summary>
    InvalidArgument,

    /// <summary><c>read_only</c>: the server is read-only and the command would change something (<c>scan</c>, <c>drop-caches</c>, <c>set-group</c>).</summary>
    ReadOnly,

    /// <summary><c>busy</c>: the server has as many connections as it takes, or the same kind of work is already running (one <c>drop-caches</c> at a time).</summary>
    Busy,

    /// <summary><c>timeout</c>: the request line did not arrive whole within the server's request timeout.</summary>
    Timeout,

    /// <summary><c>internal</c>: the server failed in a way the request could not cause; its log has the details.</summary>
    Internal,

    /// <summary>Client side: the server answered with a code this client does not know (a newer server).</summary>
    Unknown,

    /// <summary>Client side: no endpoint exists for the process (not running, or its endpoint is not enabled).</summary>
    EndpointNotFound,

    /// <summary>Client side: the endpoint exists but the connection failed, was refused or was closed.</summary>
    ConnectionFailed,

    /// <summary>Client side: the server's answer was not a response of this protocol.</summary>
    InvalidResponse,
}
