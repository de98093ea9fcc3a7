using Reclaim.Diagnostics.Internal;

namespace Reclaim.Diagnostics;

/// <summary>
/// The debug endpoint: the analogue of the kernel's shrinker debugfs for one process. It serves the protocol of
/// <see cref="Protocol.DiagnosticProtocol"/> on a Unix domain socket (<c>$TMPDIR/reclaim-{pid}-{start}-socket</c>, only
/// the same user or root can connect) or a named pipe on Windows, so that <c>dotnet-reclaim</c> (or anything that writes
/// a line of JSON) can list, count and scan the shrinkers, drop caches, read and set memory groups, and read the
/// reclaimer's state.
/// </summary>
/// <remarks>
/// <para>
/// Opt-in: <see cref="Start"/> opens the endpoint only when <see cref="ReclaimDiagnosticServerOptions.Enabled"/> is set
/// or the environment variable <c>RECLAIM_DIAGNOSTICS</c> is <c>1</c> (and never when it is <c>0</c>);
/// <see cref="StartFromEnvironment"/> does both steps.
/// </para>
/// <para>
/// Hostile input cannot hurt the process: requests are bounded in size and time, a malformed request gets an error
/// answer and the connection stays open (a line too long is answered and the connection closed), the number of
/// connections is bounded, and nothing a client does raises an exception in the host: failures go to
/// <see cref="ReclaimDiagnosticServerOptions.Log"/>. Commands run on the connection's thread-pool thread; <c>scan</c>
/// and <c>drop-caches</c> run shrinker callbacks there, as reclaim would.
/// </para>
/// <para>Thread safety: every member may be called from any thread.</para>
/// </remarks>
public sealed partial class ReclaimDiagnosticServer : IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that turns the endpoint on (<c>1</c> or <c>true</c>) or off (<c>0</c> or <c>false</c>).</summary>
    public const string EnvironmentVariable = "RECLAIM_DIAGNOSTICS";

    private static readonly TimeSpan s_shutdownWait = TimeSpan.FromSeconds(5);

    private readonly ReclaimDiagnosticServerOptions _options;
    private readonly CommandHandler _handler;
    private readonly RunHistory? _history;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private DiagnosticListener? _listener;
    private Task? _acceptLoop;
    private bool _disposed;

    /// <summary>Creates a server over <paramref name="registry"/> (and <paramref name="reclaimer"/> for <c>stat</c>); <see cref="Start"/> opens it.</summary>
    /// <param name="registry">The shrinkers and groups to show and drive.</param>
    /// <param name="reclaimer">The reclaimer whose state <c>stat</c> shows, or <see langword="null"/>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults. Read once, here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="registry"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A setting is out of range or the reclaimer belongs to another registry; the message names it.</exception>
    public ReclaimDiagnosticServer(ShrinkerRegistry registry, Reclaimer? reclaimer = null, ReclaimDiagnosticServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _options = options ?? new ReclaimDiagnosticServerOptions();
        Validate(_options);
        if (reclaimer is not null && !ReferenceEquals(reclaimer.Registry, registry))
        {
            throw new ArgumentException("The reclaimer runs another registry than the one given.", nameof(reclaimer));
        }

        Registry = registry;
        Reclaimer = reclaimer;
        if (reclaimer is not null)
        {
            _history = new RunHistory(reclaimer, _options.RecentRunCount, _options.TimeProvider);
        }

        _handler = new CommandHandler(registry, reclaimer, _history, _options.ReadOnly, _options.TimeProvider, Log)
        {
            Stopping = _stopping.Token,
        };
    }

    /// <summary>The registry the server shows.</summary>
    public ShrinkerRegistry Registry { get; }

    /// <summary>The reclaimer the server shows, or <see langword="null"/>.</summary>
    public Reclaimer? Reclaimer { get; }

    /// <summary>Where the server listens once started: a socket path, or a pipe name on Windows; <see langword="null"/> before.</summary>
    public string? Endpoint => Volatile.Read(ref _listener)?.Endpoint;

    /// <summary>Whether the server is listening.</summary>
    public bool IsListening => Volatile.Read(ref _listener) is not null && !_stopping.IsCancellationRequested;

    /// <summary>
    /// Creates a server and starts it when the endpoint is enabled (<c>RECLAIM_DIAGNOSTICS=1</c>, or
    /// <see cref="ReclaimDiagnosticServerOptions.Enabled"/> while the variable is unset).
    /// </summary>
    /// <param name="registry">The shrinkers and groups to show and drive.</param>
    /// <param name="reclaimer">The reclaimer whose state <c>stat</c> shows, or <see langword="null"/>.</param>
    /// <param name="options">Settings, or <see langword="null"/>.</param>
    /// <returns>The listening server (dispose it to stop), or <see langword="null"/> when not enabled or it could not start (the log says why).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="registry"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public static ReclaimDiagnosticServer? StartFromEnvironment(
        ShrinkerRegistry registry, Reclaimer? reclaimer = null, ReclaimDiagnosticServerOptions? options = null)
    {
        var server = new ReclaimDiagnosticServer(registry, reclaimer, options);
        if (server.Start())
        {
            return server;
        }

        server.Dispose();
        return null;
    }

    /// <summary>
    /// Opens the endpoint and starts accepting connections on a task of its own. Removes stale sockets of dead processes
    /// first. Calling it again while listening does nothing.
    /// </summary>
    /// <returns>
    /// Whether the server listens: <see langword="false"/> when the endpoint is not enabled (see the remarks on the
    /// type), or when it could not be opened (the path is in use, the directory is missing; the log says why).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public bool Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_listener is not null)
            {
                return true;
            }

            if (!IsEnabled(_options.Enabled, Environment.GetEnvironmentVariable(EnvironmentVariable)))
            {
                return false;
            }

            try
            {
                DiagnosticListener listener = CreateListener();
                Volatile.Write(ref _listener, listener);
                _acceptLoop = Task.Run(() => AcceptLoopAsync(listener));
                Log($"Reclaim debug endpoint listening at {listener.Endpoint}{(_options.ReadOnly ? " (read-only)" : string.Empty)}.");
                return true;
            }
#pragma warning disable CA1031 // A diagnostics endpoint that cannot open must not take the host down: it logs and reports false.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log($"Reclaim debug endpoint could not start: {ex.GetType().Name}: {ex.Message}");
                return false;
            }
        }
    }

    /// <summary>
    /// Stops accepting, closes the endpoint (removing its socket file), ends every connection and waits for them (a
    /// command stuck in a shrinker callback is waited for at most 5 seconds, then left to finish on its own).
    /// </summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Task? acceptLoop;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            acceptLoop = _acceptLoop;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _history?.Dispose();
        if (acceptLoop is not null)
        {
            await acceptLoop.ConfigureAwait(false);
        }

        Task all = Task.WhenAll(_connections.Values);
        if (await Task.WhenAny(all, Task.Delay(s_shutdownWait)).ConfigureAwait(false) != all)
        {
            Log("Reclaim debug endpoint stopped with commands still running (a shrinker callback that does not return).");
        }

        _stopping.Dispose();
    }

    /// <summary>Does what <see cref="DisposeAsync"/> does, blocking the calling thread.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Whether the endpoint is on: the environment variable decides when set to a known value, else the option.</summary>
    internal static bool IsEnabled(bool option, string? variable) => variable?.Trim() switch
    {
        "1" => true,
        "0" => false,
        { } value when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
        { } value when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
        _ => option,
    };

    private DiagnosticListener CreateListener()
    {
        string endpoint = _options.SocketPath ?? EndpointNames.ForCurrentProcess();
        if (OperatingSystem.IsWindows())
        {
            return new NamedPipeListener(endpoint);
        }

        return UnixSocketListener.Create(endpoint, backlog: Math.Min(_options.MaxConnections, 512), Log);
    }

    private void Log(string message)
    {
        try
        {
            _options.Log?.Invoke(message);
        }
#pragma warning disable CA1031 // A failing log callback must not break the server or the host.
        catch
#pragma warning restore CA1031
        {
        }
    }

    private static void Validate(ReclaimDiagnosticServerOptions options)
    {
        const string Options = nameof(ReclaimDiagnosticServerOptions);
        if (options.MaxRequestBytes is < 64 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRequestBytes,
                $"{Options}.{nameof(options.MaxRequestBytes)} must be from 64 bytes to 64 MiB.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero && options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RequestTimeout,
                $"{Options}.{nameof(options.RequestTimeout)} must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (options.MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConnections,
                $"{Options}.{nameof(options.MaxConnections)} must be at least 1.");
        }

        if (options.RecentRunCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RecentRunCount,
                $"{Options}.{nameof(options.RecentRunCount)} must be at least 1.");
        }

        if (options.SocketPath is { } path && string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"{Options}.{nameof(options.SocketPath)} must not be empty; leave it null for the default endpoint.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.TimeProvider, $"{nameof(options)}.{nameof(options.TimeProvider)}");
    }
}
