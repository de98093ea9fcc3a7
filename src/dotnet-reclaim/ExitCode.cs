namespace Reclaim.Tool;

/// <summary>
/// The tool's exit codes, one per kind of outcome, so that scripts can tell a missing process from a refused command
/// without parsing messages. README.md lists them; keep the numbers stable.
/// </summary>
internal enum ExitCode
{
    /// <summary>The command did what it was asked.</summary>
    Success = 0,

    /// <summary>
    /// Something failed that is not the user's doing: the server's <c>internal</c> error, a shrinker callback that threw
    /// during <c>scan</c>, or a bug in the tool (then the stack trace is printed).
    /// </summary>
    Error = 1,

    /// <summary>The command line is wrong (an unknown option, a missing or malformed argument) or a value is out of range (<c>invalid_argument</c>).</summary>
    UsageError = 2,

    /// <summary>No such process, shrinker or group.</summary>
    NotFound = 3,

    /// <summary>The process exists but has no debug endpoint, or no process has one.</summary>
    NoEndpoint = 4,

    /// <summary>The endpoint refused: it is read-only, or it belongs to another user.</summary>
    Refused = 5,

    /// <summary>The endpoint and the tool do not understand each other (another protocol version, a malformed answer).</summary>
    ProtocolError = 6,

    /// <summary>The endpoint is busy, did not answer in time, or the connection failed or closed.</summary>
    Unavailable = 7,

    /// <summary>Interrupted (Ctrl+C) before the command finished; <c>top</c> quits with <see cref="Success"/> instead.</summary>
    Cancelled = 130,
}
