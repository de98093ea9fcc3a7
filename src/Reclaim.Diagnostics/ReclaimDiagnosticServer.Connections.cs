using System.Collections.Concurrent;
using System.Net.Sockets;
using Reclaim.Diagnostics.Internal;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics;

// The accept loop and the connections. Every path out of these methods is caught: a client can end its connection,
// never the server and never the host.
public sealed partial class ReclaimDiagnosticServer
{
    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_lingerTime = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private long _nextConnectionId;
    private int _connectionCount;

    /// <summary>Accepts until stopped; each connection is served on a task of its own.</summary>
    private async Task AcceptLoopAsync(DiagnosticListener listener)
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            DiagnosticConnection connection;
            try
            {
                connection = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Out of descriptors, a connection reset before accept: log, wait a little, go on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log($"Reclaim debug endpoint: accept failed: {ex.GetType().Name}: {ex.Message}");
                try
                {
                    await Task.Delay(s_acceptRetryDelay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (!listener.IsAllowed(connection, out string? who))
            {
                Log($"Reclaim debug endpoint: refused a connection from {who}.");
                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            long id = Interlocked.Increment(ref _nextConnectionId);
            bool busy = Interlocked.Increment(ref _connectionCount) > _options.MaxConnections;
            Task task = busy ? RejectAsync(connection, stopping) : ServeAsync(connection, stopping);
            _connections[id] = task;
            _ = task.ContinueWith(
                (_, state) => ((ReclaimDiagnosticServer)state!).Forget(id),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void Forget(long id)
    {
        _connections.TryRemove(id, out _);
        Interlocked.Decrement(ref _connectionCount);
    }

    /// <summary>One connection past <see cref="ReclaimDiagnosticServerOptions.MaxConnections"/>: <c>busy</c>, then closed.</summary>
    private async Task RejectAsync(DiagnosticConnection connection, CancellationToken stopping)
    {
        await Task.Yield();
        await using (connection.ConfigureAwait(false))
        {
            await CloseWithErrorAsync(connection, ResponseLine.Failure(DiagnosticErrorCode.Busy,
                $"The endpoint serves {_options.MaxConnections} connections at once; try again shortly."), stopping).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves one connection: reads a line (bounded in size and time), answers it, until the client closes, a line is
    /// too long, a line takes too long, or the server stops.
    /// </summary>
    private async Task ServeAsync(DiagnosticConnection connection, CancellationToken stopping)
    {
        // Off the accept loop at once: the first read or a command may block this thread.
        await Task.Yield();
        try
        {
            await using (connection.ConfigureAwait(false))
            {
                var reader = new LineReader(connection.Stream, _options.MaxRequestBytes);
                while (!stopping.IsCancellationRequested)
                {
                    LineRead read;
                    using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                    {
                        timeout.CancelAfter(_options.RequestTimeout);
                        try
                        {
                            read = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                        {
                            await CloseWithErrorAsync(connection, ResponseLine.Failure(DiagnosticErrorCode.Timeout,
                                $"No whole request line arrived within {_options.RequestTimeout.TotalSeconds:0.###} s; the connection is closed."), stopping).ConfigureAwait(false);
                            return;
                        }
                    }

                    switch (read.Status)
                    {
                        case LineStatus.End:
                        case LineStatus.Truncated:
                            return;
                        case LineStatus.TooLong:
                            await CloseWithErrorAsync(connection, ResponseLine.Failure(DiagnosticErrorCode.BadRequest,
                                $"The request line is longer than {_options.MaxRequestBytes} bytes; the connection is closed."), stopping).ConfigureAwait(false);
                            return;
                    }

                    byte[] response = _handler.Handle(read.Line.Span);
                    await WriteAsync(connection, response, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (IsDisconnect(ex) || stopping.IsCancellationRequested)
        {
            // The client went away, or the server is stopping: nothing to answer.
        }
#pragma warning disable CA1031 // Nothing a client does may escape into the host.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log($"Reclaim debug endpoint: a connection failed: {ex}");
        }
    }

    /// <summary>Writes one answer, giving the client at most the request timeout to take it.</summary>
    private async Task WriteAsync(DiagnosticConnection connection, byte[] response, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.RequestTimeout);
        await connection.Stream.WriteAsync(response, timeout.Token).ConfigureAwait(false);
        await connection.Stream.FlushAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers with an error and closes cleanly: the answer, then the end of our side, then whatever the client still
    /// sends is read and dropped for a moment, so that the close does not reset the connection under its answer.
    /// </summary>
    private async Task CloseWithErrorAsync(DiagnosticConnection connection, byte[] response, CancellationToken stopping)
    {
        try
        {
            await WriteAsync(connection, response, stopping).ConfigureAwait(false);
            connection.ShutdownSend();
            using var linger = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            linger.CancelAfter(s_lingerTime);
            byte[] drain = new byte[4096];
            for (int total = 0; total < _options.MaxRequestBytes * 4;)
            {
                int read = await connection.Stream.ReadAsync(drain, linger.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception ex) when (IsDisconnect(ex) || ex is OperationCanceledException)
        {
        }
    }

    private static bool IsDisconnect(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException;
}
