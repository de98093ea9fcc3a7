using System.IO.Pipes;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Reclaim.Diagnostics.Internal;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics;

/// <summary>
/// A connection to a process's debug endpoint (<see cref="ReclaimDiagnosticServer"/>): sends requests and reads the
/// answers as typed results. Every failure is a <see cref="ReclaimDiagnosticException"/> whose
/// <see cref="ReclaimDiagnosticException.Code"/> says what kind: the server's error code, or one of the client's own
/// (<see cref="DiagnosticErrorCode.EndpointNotFound"/>, <see cref="DiagnosticErrorCode.ConnectionFailed"/>,
/// <see cref="DiagnosticErrorCode.InvalidResponse"/>, <see cref="DiagnosticErrorCode.Timeout"/>).
/// </summary>
/// <remarks>
/// One connection carries any number of requests, one at a time (concurrent calls wait their turn). After a failure of
/// the connection itself (closed, timed out, unreadable answer) the client is broken: every later call fails with
/// <see cref="DiagnosticErrorCode.ConnectionFailed"/>; connect again. An error answer leaves it usable.
/// </remarks>
public sealed partial class ReclaimDiagnosticClient : IAsyncDisposable, IDisposable
{
    /// <summary>The longest answer read, in bytes (a <c>list</c> of 100,000 shrinkers is about 40 MB).</summary>
    public const int MaxResponseBytes = 256 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly LineReader _reader;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private bool _broken;
    private bool _disposed;

    private ReclaimDiagnosticClient(Stream stream, string endpoint)
    {
        _stream = stream;
        Endpoint = endpoint;
        _reader = new LineReader(stream, MaxResponseBytes);
    }

    /// <summary>Where the client is connected: a socket path, or a pipe name.</summary>
    public string Endpoint { get; }

    /// <summary>How long a request may take, from sending it to the end of its answer.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connects to the endpoint at <paramref name="address"/>: a socket path, or a pipe name on Windows (a <see cref="DiagnosticEndpoint.Address"/>).</summary>
    /// <param name="address">The socket path or pipe name (a server's <see cref="ReclaimDiagnosticServer.Endpoint"/>).</param>
    /// <param name="cancellationToken">Stops the connection attempt.</param>
    /// <returns>A connected client.</returns>
    /// <exception cref="ArgumentException"><paramref name="address"/> is null or empty.</exception>
    /// <exception cref="ReclaimDiagnosticException">
    /// <see cref="DiagnosticErrorCode.EndpointNotFound"/>: nothing at that address;
    /// <see cref="DiagnosticErrorCode.ConnectionFailed"/>: refused (no server listening, or another user's endpoint).
    /// </exception>
    public static async Task<ReclaimDiagnosticClient> ConnectAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (OperatingSystem.IsWindows())
        {
            var pipe = new NamedPipeClientStream(".", address, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
            try
            {
                await pipe.ConnectAsync(5000, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException or UnauthorizedAccessException)
            {
                await pipe.DisposeAsync().ConfigureAwait(false);
                throw new ReclaimDiagnosticException(DiagnosticErrorCode.ConnectionFailed, $"Could not connect to the pipe '{address}': {ex.Message}", ex);
            }

            return new ReclaimDiagnosticClient(pipe, address);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(address), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            DiagnosticErrorCode code = ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.HostNotFound || !File.Exists(address)
                ? DiagnosticErrorCode.EndpointNotFound
                : DiagnosticErrorCode.ConnectionFailed;
            throw new ReclaimDiagnosticException(code, $"Could not connect to '{address}': {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ReclaimDiagnosticClient(new NetworkStream(socket, ownsSocket: true), address);
    }

    /// <summary>Sends a request and returns its answer's <c>result</c> as JSON (for <c>--json</c> output).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Stops waiting; the client is then broken.</param>
    /// <returns>The <c>result</c> object of the answer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ReclaimDiagnosticException">The server answered with an error, or the connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task<JsonElement> SendAsync(DiagnosticRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] json = DiagnosticProtocol.SerializeRequest(request);
        byte[] line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';

        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_broken)
            {
                throw new ReclaimDiagnosticException(DiagnosticErrorCode.ConnectionFailed, "The connection failed earlier; connect again.");
            }

            LineRead read;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                await _stream.WriteAsync(line, timeout.Token).ConfigureAwait(false);
                await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                read = await _reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                _broken = true;
                throw new ReclaimDiagnosticException(DiagnosticErrorCode.Timeout,
                    $"The endpoint did not answer '{DiagnosticProtocol.ToWireName(request.Command)}' within {Timeout.TotalSeconds:0.###} s.", ex);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                _broken = true;
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                throw new ReclaimDiagnosticException(DiagnosticErrorCode.ConnectionFailed, $"The connection to '{Endpoint}' failed: {ex.Message}", ex);
            }

            if (read.Status != LineStatus.Line)
            {
                _broken = true;
                throw new ReclaimDiagnosticException(
                    read.Status == LineStatus.TooLong ? DiagnosticErrorCode.InvalidResponse : DiagnosticErrorCode.ConnectionFailed,
                    read.Status == LineStatus.TooLong
                        ? $"The answer is longer than {MaxResponseBytes} bytes."
                        : $"The endpoint '{Endpoint}' closed the connection without answering.");
            }

            JsonElement result;
            DiagnosticError? error;
            try
            {
                result = ResponseLine.Parse(read.Line.Span, out error);
            }
            catch (ReclaimDiagnosticException)
            {
                _broken = true;
                throw;
            }

            return error is null ? result : throw new ReclaimDiagnosticException(error.Code, error.Message);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary><c>list</c>: every registered shrinker with its flags, seeks, batch and statistics.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The shrinkers.</returns>
    /// <exception cref="ReclaimDiagnosticException">See <see cref="SendAsync"/>.</exception>
    public Task<ShrinkerListResult> ListAsync(CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.List(), DiagnosticJsonContext.Default.ShrinkerListResult, cancellationToken);

    /// <summary><c>count</c>: the kernel's debugfs <c>count</c> file of one shrinker.</summary>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c>.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One line per group with objects.</returns>
    /// <exception cref="ReclaimDiagnosticException"><see cref="DiagnosticErrorCode.NotFound"/> for an unknown shrinker; see <see cref="SendAsync"/>.</exception>
    public Task<ShrinkerCountResult> CountAsync(string shrinker, CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.Count(shrinker), DiagnosticJsonContext.Default.ShrinkerCountResult, cancellationToken);

    /// <summary><c>scan</c>: one direct scan call, as a write to the kernel's debugfs <c>scan</c> file.</summary>
    /// <param name="shrinker">The shrinker's debug name, <c>name-id</c>.</param>
    /// <param name="group">The memory group id; 0 for a shrinker that is not group-aware.</param>
    /// <param name="node">The node.</param>
    /// <param name="nrToScan">How many objects to ask for; 0 does nothing.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>What the call did.</returns>
    /// <exception cref="ReclaimDiagnosticException">
    /// <see cref="DiagnosticErrorCode.NotFound"/> (shrinker, or unknown or offline group),
    /// <see cref="DiagnosticErrorCode.InvalidArgument"/> (node out of range, a group for a shrinker that is not group-aware),
    /// <see cref="DiagnosticErrorCode.ReadOnly"/>; see <see cref="SendAsync"/>.
    /// </exception>
    public Task<ShrinkerScanResult> ScanAsync(string shrinker, long group, int node, long nrToScan, CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.Scan(shrinker, group, node, nrToScan), DiagnosticJsonContext.Default.ShrinkerScanResult, cancellationToken);

    /// <summary><c>drop-caches</c>: frees as much as every shrinker will give.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The objects freed.</returns>
    /// <exception cref="ReclaimDiagnosticException"><see cref="DiagnosticErrorCode.ReadOnly"/>, <see cref="DiagnosticErrorCode.Busy"/>; see <see cref="SendAsync"/>.</exception>
    public Task<DropCachesResult> DropCachesAsync(CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.DropCaches(), DiagnosticJsonContext.Default.DropCachesResult, cancellationToken);

    /// <summary><c>groups</c>: the memory group tree.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The online groups in pre-order.</returns>
    /// <exception cref="ReclaimDiagnosticException">See <see cref="SendAsync"/>.</exception>
    public Task<GroupListResult> GetGroupsAsync(CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.Groups(), DiagnosticJsonContext.Default.GroupListResult, cancellationToken);

    /// <summary><c>set-group</c>: sets a group's high or max.</summary>
    /// <param name="group">The group's id.</param>
    /// <param name="limit">Which limit.</param>
    /// <param name="bytes">The new limit in bytes; <see cref="Groups.MemoryGroup.Unlimited"/> for none.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The group after the change.</returns>
    /// <exception cref="ReclaimDiagnosticException">
    /// <see cref="DiagnosticErrorCode.NotFound"/>, <see cref="DiagnosticErrorCode.InvalidArgument"/> (high above max),
    /// <see cref="DiagnosticErrorCode.ReadOnly"/>; see <see cref="SendAsync"/>.
    /// </exception>
    public Task<GroupInfo> SetGroupAsync(long group, GroupLimitKind limit, long bytes, CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.SetGroup(group, limit, bytes), DiagnosticJsonContext.Default.GroupInfo, cancellationToken);

    /// <summary><c>stat</c>: the process, the registry and the reclaimer.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ReclaimDiagnosticException">See <see cref="SendAsync"/>.</exception>
    public Task<StatResult> StatAsync(CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.Stat(), DiagnosticJsonContext.Default.StatResult, cancellationToken);

    /// <summary><c>version</c>: the protocol, package and runtime versions, and the process.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The versions.</returns>
    /// <exception cref="ReclaimDiagnosticException">See <see cref="SendAsync"/>.</exception>
    public Task<VersionResult> GetVersionAsync(CancellationToken cancellationToken = default) =>
        SendAsync(DiagnosticRequest.Version(), DiagnosticJsonContext.Default.VersionResult, cancellationToken);

    /// <summary>Closes the connection.</summary>
    /// <returns>A task that completes when it is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<T> SendAsync<T>(DiagnosticRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        JsonElement result = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            return result.Deserialize(typeInfo)
                ?? throw new ReclaimDiagnosticException(DiagnosticErrorCode.InvalidResponse, $"The answer to '{DiagnosticProtocol.ToWireName(request.Command)}' has a null result.");
        }
        catch (JsonException ex)
        {
            throw new ReclaimDiagnosticException(DiagnosticErrorCode.InvalidResponse,
                $"The answer to '{DiagnosticProtocol.ToWireName(request.Command)}' does not have the expected shape: {ex.Message}", ex);
        }
    }
}
