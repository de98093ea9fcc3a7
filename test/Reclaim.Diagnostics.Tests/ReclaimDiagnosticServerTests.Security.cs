using System.Diagnostics;
using System.Net.Sockets;
using Reclaim.Diagnostics.Internal;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// Who can reach the endpoint: the socket is 0600 and ours from the moment it has its name, nothing is left behind,
/// stale sockets of dead processes are removed and live ones kept, and another user can neither connect nor, when the
/// file's mode is opened from outside, be served.
/// </summary>
public partial class ReclaimDiagnosticServerTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Socket_Mode0600OwnedByUs_NothingElseLeftInTheDirectory()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(harness.SocketPath));
        Assert.Equal(Run("id", "-u"), Run("stat", "-c", "%u", harness.SocketPath));
        Assert.Equal("socket", Run("stat", "-c", "%F", harness.SocketPath));
        Assert.Equal([harness.SocketPath], Directory.GetFileSystemEntries(harness.Directory));
    }

    [Fact]
    public async Task Dispose_SocketFileRemovedAndClientsCut()
    {
        using var process = new TestProcess();
        var harness = ServerHarness.Start(process.Registry);
        ReclaimDiagnosticClient client = await harness.ConnectAsync();
        await client.GetVersionAsync(TestContext.Current.CancellationToken);

        await harness.Server.DisposeAsync();

        Assert.False(File.Exists(harness.SocketPath));
        Assert.False(harness.Server.IsListening);
        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(() => client.GetVersionAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DiagnosticErrorCode.ConnectionFailed, error.Code);
        await client.DisposeAsync();
        await harness.DisposeAsync();
    }

    [Fact]
    public async Task Start_StaleSocketsOfDeadOrReusedPids_RemovedLiveAndForeignKept()
    {
        string directory = Directory.CreateTempSubdirectory("rdt").FullName;
        int deadPid = DeadPid();
        ulong pid1Start = ProcessInfo.TryGetStartKey(1) ?? 0;
        string dead = Path.Combine(directory, EndpointNames.SocketFileName(deadPid, 12345));
        string reused = Path.Combine(directory, EndpointNames.SocketFileName(1, pid1Start + 1)); // pid 1 lives, but started at another time
        string live = Path.Combine(directory, EndpointNames.SocketFileName(1, pid1Start));
        string regular = Path.Combine(directory, EndpointNames.SocketFileName(deadPid, 1));
        string other = Path.Combine(directory, "reclaim-notes-socket");
        MakeStaleSocket(dead);
        MakeStaleSocket(reused);
        MakeStaleSocket(other);
        using Socket listening = Listen(live);
        await File.WriteAllTextAsync(regular, "not a socket", TestContext.Current.CancellationToken);

        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, directory: directory);

        Assert.False(File.Exists(dead), "the socket of a dead process was left");
        Assert.False(File.Exists(reused), "the socket of a process whose id was reused was left");
        Assert.True(File.Exists(live), "a live server's socket was removed");
        Assert.True(File.Exists(regular), "a file that is not a socket was removed");
        Assert.True(File.Exists(other), "a socket not named by pid and start was removed");
        Assert.Contains(harness.Log, l => l.Contains(dead, StringComparison.Ordinal) && l.Contains("stale", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PathOfALiveServer_RefusedFirstUntouched()
    {
        using var process = new TestProcess();
        await using var first = ServerHarness.Start(process.Registry);
        var log = new List<string>();
        await using var second = new ReclaimDiagnosticServer(process.Registry, null, new ReclaimDiagnosticServerOptions
        {
            Enabled = true,
            SocketPath = first.SocketPath,
            Log = log.Add,
        });

        Assert.False(second.Start());

        Assert.Contains(log, l => l.Contains("already listens", StringComparison.Ordinal));
        await using ReclaimDiagnosticClient client = await first.ConnectAsync();
        Assert.Equal(1, (await client.GetVersionAsync(TestContext.Current.CancellationToken)).Protocol);
    }

    [Fact]
    public async Task Start_StaleSocketAtTheGivenPath_Replaced()
    {
        string directory = Directory.CreateTempSubdirectory("rdt").FullName;
        MakeStaleSocket(Path.Combine(directory, "s.sock"));
        using var process = new TestProcess();

        await using var harness = ServerHarness.Start(process.Registry, directory: directory);

        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        Assert.Equal(1, (await client.GetVersionAsync(TestContext.Current.CancellationToken)).Protocol);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(harness.SocketPath));
    }

    [Fact]
    public async Task OtherUser_CannotConnect()
    {
        SkipUnlessRootWithSetprivAndPython();
        string directory = OpenDirectory();
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, directory: directory);

        string outcome = ConnectAsNobody(harness.SocketPath);

        Assert.Equal("PermissionError", outcome);
    }

    [Fact]
    public async Task OtherUser_SocketModeOpenedFromOutside_RefusedByPeerCredentials()
    {
        SkipUnlessRootWithSetprivAndPython();
        string directory = OpenDirectory();
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry, directory: directory);
        File.SetUnixFileMode(harness.SocketPath, (UnixFileMode)0b_110_110_110);

        string outcome = ConnectAsNobody(harness.SocketPath);

        Assert.Equal("closed", outcome);
        Assert.True(SpinWait.SpinUntil(() => harness.Log.Any(l => l.Contains("uid 65534", StringComparison.Ordinal)), Threaded.Timeout), string.Join(" | ", harness.Log));
        Assert.Empty(process.Scans);
    }

    [Fact]
    public async Task DefaultEndpoint_NamedByPidAndStartTime_FoundByPid()
    {
        using var process = new TestProcess();
        await using var server = new ReclaimDiagnosticServer(process.Registry, null, new ReclaimDiagnosticServerOptions { Enabled = true });

        Assert.True(server.Start());

        string expected = Path.Combine(Path.GetTempPath(), $"reclaim-{Environment.ProcessId}-{ProcessInfo.CurrentStartKey}-socket");
        Assert.Equal(expected, server.Endpoint);
        Assert.Equal(Run("awk", "{print $22}", $"/proc/{Environment.ProcessId}/stat"), ProcessInfo.CurrentStartKey.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(expected));
        DiagnosticEndpoint found = Assert.Single(ReclaimDiagnosticClient.GetEndpoints(), e => e.ProcessId == Environment.ProcessId);
        Assert.Equal(expected, found.Address);
        await using ReclaimDiagnosticClient client = await ReclaimDiagnosticClient.ConnectToProcessAsync(
            Environment.ProcessId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Environment.ProcessId, (await client.StatAsync(TestContext.Current.CancellationToken)).ProcessId);
    }

    /// <summary>
    /// Leaves a socket file nobody listens on, as a killed process leaves it. (Closing a .NET socket removes the file it
    /// bound, so the file is moved away from the bound path first.)
    /// </summary>
    internal static void MakeStaleSocket(string path)
    {
        string bound = path + ".bound";
        using (Listen(bound))
        {
            File.Move(bound, path);
        }

        Assert.True(File.Exists(path), $"the stale socket '{path}' was removed");
    }

    internal static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(4);
        return socket;
    }

    /// <summary>The id of a process that has just exited (and, so soon after, is given to no other).</summary>
    internal static int DeadPid()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        return exited.Id;
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Trim();
    }

    private static void SkipUnlessRootWithSetprivAndPython()
    {
        Assert.SkipUnless(Run("id", "-u") == "0", "needs root, to run a client as another user");
        Assert.SkipUnless(File.Exists("/usr/bin/setpriv") && File.Exists("/usr/bin/python3"), "needs setpriv and /usr/bin/python3");
    }

    /// <summary>A temporary directory others may enter, so that only the socket's own mode keeps them out.</summary>
    private static string OpenDirectory()
    {
        string directory = Directory.CreateTempSubdirectory("rdt").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b_111_101_101);
        return directory;
    }

    /// <summary>Connects as nobody (uid 65534) and sends a request: "PermissionError", "closed" (no answer) or the answer.</summary>
    private static string ConnectAsNobody(string path)
    {
        const string Script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            try:
                s.connect(sys.argv[1])
            except PermissionError:
                print("PermissionError"); sys.exit(0)
            try:
                s.sendall(b'{"v":1,"cmd":"scan","shrinker":"plain-0","group":0,"node":0,"nr_to_scan":5}\n')
                data = s.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            print(data.decode().strip() or "closed")
            """;
        return Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", Script, path);
    }
}
