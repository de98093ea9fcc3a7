using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Fuzz;

/// <summary>
/// The fuzz target: the debug endpoint's request parser, a pure function of the bytes of one line. A crash is any
/// exception out of <see cref="DiagnosticProtocol.TryParseRequest"/>, an error code the parser must never give, or a
/// request that does not survive serialize → parse unchanged.
/// </summary>
internal static class ParserTarget
{
    /// <summary>The longest input tried: the server's default request limit (longer lines never reach the parser).</summary>
    private const int MaxInput = 64 * 1024;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInput)
        {
            return;
        }

        if (!DiagnosticProtocol.TryParseRequest(input, out DiagnosticRequest? request, out DiagnosticError? error))
        {
            if (error.Code is not (DiagnosticErrorCode.BadRequest or DiagnosticErrorCode.UnsupportedVersion or DiagnosticErrorCode.InvalidArgument)
                || string.IsNullOrWhiteSpace(error.Message))
            {
                throw new InvalidOperationException($"The parser gave an error it must not give: {error}");
            }

            return;
        }

        byte[] line = DiagnosticProtocol.SerializeRequest(request);
        if (!DiagnosticProtocol.TryParseRequest(line, out DiagnosticRequest? again, out DiagnosticError? againError) || again != request)
        {
            throw new InvalidOperationException($"A parsed request did not survive serialize and parse: {request} became {again?.ToString() ?? againError?.ToString()}");
        }
    }
}
