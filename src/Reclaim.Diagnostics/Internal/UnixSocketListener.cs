using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// A Unix domain socket that only its owner (and root) can connect to, with no moment where others could: it is
/// bound inside a fresh directory of mode 0700, made 0600 there, and only then renamed into its public place.
/// </summary>
/// <remarks>
/// Connecting to a Unix socket needs write permission on the socket file and search permission on every directory on
/// its path. While the socket sits in the private directory nobody else can reach it whatever its mode (the mode a
/// bind gives depends on the umask, which a library must not change: it is process-wide). <c>rename(2)</c> then moves
/// the inode atomically, mode included. Every connection is checked again with <c>SO_PEERCRED</c> on Linux.
/// </remarks>
[UnsupportedOSPlatform("windows")]
internal sealed class UnixSocketListener : DiagnosticListener
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateSocket = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly Socket _socket;
    private readonly string _path;
    private int _disposed;

    private UnixSocketListener(Socket socket, string path)
    {
        _socket = socket;
        _path = path;
    }

    public override string Endpoint => _path;

    /// <summary>Binds and listens at <paramref name="path"/>, which must not be in use by a live server.</summary>
    public static UnixSocketListener Create(string path, int backlog, Action<string> log)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? throw new IOException($"'{path}' has no directory.");
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The directory of the socket '{path}' does not exist.");
        }

        Cleanup.DeleteStaleSockets(directory, log);
        Cleanup.DeleteIfUnused(path, log);

        // 1. A fresh directory only we can enter. The name is random (128 bits), so nobody can have made it first;
        //    the checks make sure (CreateDirectory also succeeds on a directory that exists).
        string staging = Path.Combine(directory, $".reclaim-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}");
        var created = Directory.CreateDirectory(staging, PrivateDirectory);
        if (created.LinkTarget is not null || File.GetUnixFileMode(staging) != PrivateDirectory)
        {
            throw new IOException($"The staging directory '{staging}' is not a fresh private directory.");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        string staged = Path.Combine(staging, "s");
        try
        {
            // 2. Bind and listen inside it, then make the socket owner-only.
            socket.Bind(new UnixDomainSocketEndPoint(staged));
            File.SetUnixFileMode(staged, PrivateSocket);
            socket.Listen(backlog);

            // 3. Into place: rename(2) moves the inode, mode and all, in one step; the bound socket keeps listening.
            File.Move(staged, path, overwrite: false);
            return new UnixSocketListener(socket, path);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            try
            {
                File.Delete(staged);
                Directory.Delete(staging);
            }
            catch (IOException ex)
            {
                log($"Could not remove the staging directory '{staging}': {ex.Message}");
            }
        }
    }

    public override async ValueTask<DiagnosticConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        return new SocketConnection(client);
    }

    public override bool IsAllowed(DiagnosticConnection connection, out string? reason)
    {
        reason = null;
        if (connection is SocketConnection socket && !PeerCredentials.IsAllowed(socket.Socket, out uint? uid))
        {
            reason = $"a process of uid {uid} (only the same user or root may connect)";
            return false;
        }

        return true;
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to do: the next server's stale-socket cleanup removes it.
        }
    }

    private sealed class SocketConnection(Socket socket) : DiagnosticConnection
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);

        public Socket Socket { get; } = socket;

        public override Stream Stream => _stream;

        public override void ShutdownSend()
        {
            try
            {
                Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }

        public override ValueTask DisposeAsync() => _stream.DisposeAsync();
    }
}
