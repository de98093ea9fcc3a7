using System.IO.Pipes;
using System.Runtime.Versioning;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// The Windows endpoint: the named pipe <c>\\.\pipe\reclaim-{pid}-{start}</c>, made with
/// <see cref="PipeOptions.CurrentUserOnly"/> so that only the same user can connect (the runtime's diagnostics port does
/// the same on Windows). One server instance waits at a time; each connection gets its own.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class NamedPipeListener(string pipeName) : DiagnosticListener
{
    private const PipeOptions Options = PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly;

    public override string Endpoint => pipeName;

    public override async ValueTask<DiagnosticConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        var pipe = new NamedPipeServerStream(
            pipeName, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances, PipeTransmissionMode.Byte, Options);
        try
        {
            await pipe.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            return new PipeConnection(pipe);
        }
        catch
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override void Dispose()
    {
    }

    private sealed class PipeConnection(NamedPipeServerStream pipe) : DiagnosticConnection
    {
        public override Stream Stream => pipe;

        public override void ShutdownSend()
        {
            try
            {
                pipe.WaitForPipeDrain();
            }
            catch (IOException)
            {
            }
        }

        public override ValueTask DisposeAsync() => pipe.DisposeAsync();
    }
}
