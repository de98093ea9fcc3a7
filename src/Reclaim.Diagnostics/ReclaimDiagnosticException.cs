using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics;

/// <summary>
/// A request to a debug endpoint failed: the server answered with an error, or the endpoint could not be found,
/// reached or understood. <see cref="Code"/> says which; the message is for people.
/// </summary>
public sealed class ReclaimDiagnosticException : Exception
{
    /// <summary>Creates an exception with <see cref="DiagnosticErrorCode.Internal"/>.</summary>
    public ReclaimDiagnosticException()
        : this(DiagnosticErrorCode.Internal, "The debug endpoint request failed.")
    {
    }

    /// <summary>Creates an exception with <see cref="DiagnosticErrorCode.Internal"/> and a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ReclaimDiagnosticException(string message)
        : this(DiagnosticErrorCode.Internal, message)
    {
    }

    /// <summary>Creates an exception with <see cref="DiagnosticErrorCode.Internal"/>, a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ReclaimDiagnosticException(string message, Exception innerException)
        : this(DiagnosticErrorCode.Internal, message, innerException)
    {
    }

    /// <summary>Creates an exception with a code, a message and optionally its cause.</summary>
    /// <param name="code">Why the request failed.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public ReclaimDiagnosticException(DiagnosticErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Why the request failed.</summary>
    public DiagnosticErrorCode Code { get; }

    /// <summary>The code's wire name (<c>not_found</c>, <c>endpoint_not_found</c>, ...).</summary>
    public string WireCode => DiagnosticProtocol.ToWireName(Code);
}
