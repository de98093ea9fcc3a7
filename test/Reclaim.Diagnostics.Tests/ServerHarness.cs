using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// A started server on a socket in a fresh temporary directory (so tests never touch the real <c>$TMPDIR</c> endpoints
/// and run in parallel), with its log kept, and ways to talk to it: the typed client, or raw bytes.
/// </summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(string directory, string socketPath, ReclaimDiagnosticServer server, ConcurrentQueue<string> log)
    {
        Directory = directory;
        SocketPath = socketPath;
        Server = server;
        Log = log;
    }

    public string Directory { get; }

    public string SocketPath { get; }

    public ReclaimDiagnosticServer Server { get; }

    public ConcurrentQueue<string> Log { get; }

    /// <summary>Starts a server over <paramref name="registry"/>; <paramref name="socketName"/> defaults to a plain name.</summary>
    public static ServerHarness Start(
        ShrinkerRegistry registry,
        Action<ReclaimDiagnosticServerOptions>? configure = null,
        Reclaimer? reclaimer = null,
        string? directory = null,
        string socketName = "s.sock")
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("rdt").FullName;
        var log = new ConcurrentQueue<string>();
        var options = new ReclaimDiagnosticServerOptions
        {
            Enabled = true,
            SocketPath = Path.Combine(directory, socketName),
            Log = log.Enqueue,
        };
        configure?.Invoke(options);
        var server = new ReclaimDiagnosticServer(registry, reclaimer, options);
        Assert.True(server.Start(), "the server did not start: " + string.Join(" | ", log));
        return new ServerHarness(directory, options.SocketPath!, server, log);
    }

    public Task<ReclaimDiagnosticClient> ConnectAsync() =>
        ReclaimDiagnosticClient.ConnectAsync(SocketPath, TestContext.Current.CancellationToken);

    public async Task<RawConnection> ConnectRawAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), TestContext.Current.CancellationToken);
        return new RawConnection(socket);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A client that speaks bytes: to send what no well-behaved client would.</summary>
internal sealed class RawConnection(Socket socket) : IDisposable
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly List<byte> _pending = [];

    public Socket Socket => socket;

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) =>
        await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>The next line, or null when the server closed the connection; fails after <paramref name="timeout"/>.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? Threaded.Timeout);
        byte[] buffer = new byte[4096];
        while (true)
        {
            int newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString([.. _pending.GetRange(0, newline)]);
                _pending.RemoveRange(0, newline + 1);
                return line;
            }

            int read = await _stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                Assert.Empty(_pending);
                return null;
            }

            _pending.AddRange(buffer.AsSpan(0, read));
        }
    }

    /// <summary>Sends a line and reads the answer as JSON.</summary>
    public async Task<JsonElement> AskAsync(string line)
    {
        await SendAsync(line + "\n");
        string? answer = await ReadLineAsync();
        Assert.NotNull(answer);
        return JsonDocument.Parse(answer).RootElement.Clone();
    }

    /// <summary>Whether the server closed the connection (EOF, not a reset) within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan? timeout = null) => await ReadLineAsync(timeout) is null;

    public void Dispose() => _stream.Dispose();
}

/// <summary>Assertions on raw answers.</summary>
internal static class Answers
{
    public static JsonElement Ok(JsonElement answer)
    {
        Assert.Equal(1, answer.GetProperty("v").GetInt32());
        Assert.True(answer.GetProperty("ok").GetBoolean(), answer.GetRawText());
        return answer.GetProperty("result");
    }

    public static string Error(JsonElement answer)
    {
        Assert.Equal(1, answer.GetProperty("v").GetInt32());
        Assert.False(answer.GetProperty("ok").GetBoolean(), answer.GetRawText());
        Assert.False(string.IsNullOrWhiteSpace(answer.GetProperty("error").GetProperty("message").GetString()));
        return answer.GetProperty("error").GetProperty("code").GetString()!;
    }
}

/// <summary>A fresh temporary directory, removed with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Directory.CreateTempSubdirectory("rdt").FullName;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
