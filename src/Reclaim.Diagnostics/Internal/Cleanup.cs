using System.Net.Sockets;
using System.Runtime.Versioning;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// Removes the sockets that servers of dead processes left behind (a process killed with SIGKILL cannot remove its own).
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class Cleanup
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Deletes every <c>reclaim-{pid}-{start}-socket</c> in <paramref name="directory"/> whose process is gone (no process
    /// has that id, or the one that has it started at another time) and on which nobody listens. A socket another user
    /// owns in a sticky directory such as <c>/tmp</c> cannot be deleted and is left.
    /// </summary>
    public static void DeleteStaleSockets(string directory, Action<string> log)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, EndpointNames.SocketPattern);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log($"Could not look for stale sockets in '{directory}': {ex.Message}");
            return;
        }

        foreach (string path in candidates)
        {
            if (EndpointNames.TryParse(Path.GetFileName(path), out int pid, out ulong startKey) &&
                !ProcessInfo.IsAlive(pid, startKey) &&
                TryDelete(path, log))
            {
                log($"Removed the stale socket '{path}' of process {pid}, which is no longer running.");
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="path"/> free: deletes a socket nobody listens on; throws when a server listens there or the
    /// path holds something that is not a socket.
    /// </summary>
    public static void DeleteIfUnused(string path, Action<string> log)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }

        if (Probe(path) == ProbeResult.Listening)
        {
            throw new IOException($"A server already listens at '{path}'; give this one another SocketPath.");
        }

        if (!TryDelete(path, log))
        {
            throw new IOException($"'{path}' exists and is not a stale socket that could be removed; give the server another SocketPath.");
        }
    }

    private enum ProbeResult
    {
        Listening,
        Refused,
        Unreachable,
    }

    /// <summary>Deletes a stale socket: a file of size 0 (sockets have no size), not a link, nobody listening.</summary>
    private static bool TryDelete(string path, Action<string> log)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || info.Length != 0 || Probe(path) != ProbeResult.Refused)
            {
                return false;
            }

            info.Delete();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log($"Could not remove the stale socket '{path}': {ex.Message}");
            return false;
        }
    }

    /// <summary>Tries to connect: a live server accepts (or keeps us waiting in its backlog); a stale socket refuses.</summary>
    private static ProbeResult Probe(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = new CancellationTokenSource(s_probeTimeout);
        try
        {
            socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).AsTask().GetAwaiter().GetResult();
            return ProbeResult.Listening;
        }
        catch (OperationCanceledException)
        {
            return ProbeResult.Listening;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return ProbeResult.Refused;
        }
        catch (SocketException)
        {
            return ProbeResult.Unreachable;
        }
    }
}
