namespace Reclaim.Diagnostics;

/// <summary>Settings of a <see cref="ReclaimDiagnosticServer"/>.</summary>
/// <remarks>
/// The endpoint is opt-in: <see cref="Enabled"/> or the environment variable
/// <see cref="ReclaimDiagnosticServer.EnvironmentVariable"/> (<c>RECLAIM_DIAGNOSTICS=1</c>) turns it on, and
/// <c>RECLAIM_DIAGNOSTICS=0</c> keeps it off whatever the options say.
/// </remarks>
public sealed class ReclaimDiagnosticServerOptions
{
    /// <summary>Whether <see cref="ReclaimDiagnosticServer.Start"/> opens the endpoint (unless the environment variable says otherwise).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>
    /// Whether the server refuses the commands that change something (<c>scan</c>, <c>drop-caches</c>,
    /// <c>set-group</c>) with <c>read_only</c>; reading commands still work.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Where to listen instead of the default: a socket path on Unix (default <c>$TMPDIR/reclaim-{pid}-{start}-socket</c>,
    /// which <c>dotnet-reclaim ps</c> finds), a pipe name on Windows (default <c>reclaim-{pid}-{start}</c>). The
    /// directory of a socket path must exist; a stale socket at the path is replaced, a live one is an error.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the default endpoint.</value>
    public string? SocketPath { get; set; }

    /// <summary>The longest request line taken, in bytes; a longer one is answered with <c>bad_request</c> and the connection closed.</summary>
    /// <value>The default value is 65,536 (64 KiB).</value>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long the server waits for a whole request line (from the connection's opening or the previous answer), and
    /// for a client to take an answer; past it the client gets <c>timeout</c> and the connection is closed.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most connections served at once; one more is answered with <c>busy</c> and closed.</summary>
    /// <value>The default value is 64.</value>
    public int MaxConnections { get; set; } = 64;

    /// <summary>How many of the reclaimer's last background runs <c>stat</c> shows.</summary>
    /// <value>The default value is 16.</value>
    public int RecentRunCount { get; set; } = 16;

    /// <summary>
    /// Receives the server's log lines: where it listens, connections refused, failures it caught. It must not throw
    /// (what it throws is swallowed) and should be quick.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no log.</value>
    public Action<string>? Log { get; set; }

    /// <summary>The clock for the times of reclaim runs and of <c>drop-caches</c>.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
