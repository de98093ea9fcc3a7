namespace Reclaim.Diagnostics.Internal;

/// <summary>One accepted connection: its stream, and how to end it politely.</summary>
internal abstract class DiagnosticConnection : IAsyncDisposable
{
    public abstract Stream Stream { get; }

    /// <summary>Says no more will be sent (a socket's half-close), so the client reads to the end of what was.</summary>
    public abstract void ShutdownSend();

    public abstract ValueTask DisposeAsync();
}

/// <summary>Where connections come from: a Unix domain socket, or a named pipe on Windows.</summary>
internal abstract class DiagnosticListener : IDisposable
{
    /// <summary>The endpoint: a socket path, or a pipe name.</summary>
    public abstract string Endpoint { get; }

    /// <summary>The next connection. Throws <see cref="OperationCanceledException"/> when stopped.</summary>
    public abstract ValueTask<DiagnosticConnection> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>Whether the peer of a connection may use the endpoint (same user or root); the reason when not.</summary>
    public virtual bool IsAllowed(DiagnosticConnection connection, out string? reason)
    {
        reason = null;
        return true;
    }

    public abstract void Dispose();
}
