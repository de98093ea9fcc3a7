using Reclaim.Diagnostics;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Tool.Tests;

public sealed class DiagnosticFailuresTests
{
    [Theory]
    [InlineData(DiagnosticErrorCode.NotFound, nameof(ExitCode.NotFound))]
    [InlineData(DiagnosticErrorCode.InvalidArgument, nameof(ExitCode.UsageError))]
    [InlineData(DiagnosticErrorCode.ReadOnly, nameof(ExitCode.Refused))]
    [InlineData(DiagnosticErrorCode.EndpointNotFound, nameof(ExitCode.NoEndpoint))]
    [InlineData(DiagnosticErrorCode.BadRequest, nameof(ExitCode.ProtocolError))]
    [InlineData(DiagnosticErrorCode.UnsupportedVersion, nameof(ExitCode.ProtocolError))]
    [InlineData(DiagnosticErrorCode.InvalidResponse, nameof(ExitCode.ProtocolError))]
    [InlineData(DiagnosticErrorCode.Unknown, nameof(ExitCode.ProtocolError))]
    [InlineData(DiagnosticErrorCode.Busy, nameof(ExitCode.Unavailable))]
    [InlineData(DiagnosticErrorCode.Timeout, nameof(ExitCode.Unavailable))]
    [InlineData(DiagnosticErrorCode.ConnectionFailed, nameof(ExitCode.Unavailable))]
    [InlineData(DiagnosticErrorCode.Internal, nameof(ExitCode.Error))]
    public void From_ErrorCode_ExitCodeOfItsKind(DiagnosticErrorCode code, string expected)
    {
        ToolException failure = DiagnosticFailures.From(new ReclaimDiagnosticException(code, "what happened"));

        Assert.Equal(expected, failure.ExitCode.ToString());
        Assert.Equal("what happened", failure.Message);
    }

    [Fact]
    public void From_PermissionDenied_Refused()
    {
        var denied = new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AccessDenied);

        ToolException failure = DiagnosticFailures.From(new ReclaimDiagnosticException(DiagnosticErrorCode.ConnectionFailed, "Could not connect.", denied));

        Assert.Equal(ExitCode.Refused, failure.ExitCode);
        Assert.Contains("another user", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExitCodes_AreStable()
    {
        Assert.Equal(
            [0, 1, 2, 3, 4, 5, 6, 7, 130],
            Enum.GetValues<ExitCode>().Select(c => (int)c));
    }
}
