using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// Who is at the other end of a Unix socket (Linux <c>SO_PEERCRED</c>). The socket file's mode already keeps other users
/// out; this checks again on every connection, in case the file's mode or directory were changed from outside.
/// </summary>
internal static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private static readonly Lazy<uint?> s_effectiveUid = new(ReadEffectiveUid);

    /// <summary>Whether the peer may use the endpoint: the same user or root. True where the check is not available.</summary>
    public static bool IsAllowed(Socket socket, out uint? peerUid)
    {
        peerUid = null;
        if (!OperatingSystem.IsLinux() || s_effectiveUid.Value is not { } self)
        {
            return true;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) < 12)
            {
                return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }

        uint uid = MemoryMarshal.Read<uint>(ucred[4..]); // native byte order
        peerUid = uid;
        return uid == self || uid == 0;
    }

    /// <summary>This process's effective uid, from <c>/proc/self/status</c> (<c>Uid: real effective saved fs</c>).</summary>
    private static uint? ReadEffectiveUid()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    string[] ids = line[4..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return ids.Length > 1 && uint.TryParse(ids[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid) ? uid : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
