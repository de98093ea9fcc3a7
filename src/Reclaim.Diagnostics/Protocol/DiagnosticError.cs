namespace Reclaim.Diagnostics.Protocol;

/// <summary>An error answer: <c>{"v":1,"ok":false,"error":{"code":"not_found","message":"..."}}</c>.</summary>
/// <param name="Code">Why the request failed.</param>
/// <param name="Message">What was wrong and, where it helps, what to do; for people, not for parsing.</param>
public sealed record DiagnosticError(DiagnosticErrorCode Code, string Message)
{
    /// <summary>The code's wire name (<c>bad_request</c>, <c>not_found</c>, ...).</summary>
    public string WireCode => DiagnosticProtocol.ToWireName(Code);
}
