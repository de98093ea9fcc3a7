using System.Globalization;
using Reclaim.Diagnostics;
using Reclaim.Diagnostics.TargetApp;

// A process for dotnet-reclaim to diagnose (TargetProcess.cs says what it holds).
//
//   Reclaim.Diagnostics.TargetApp [--read-only] [--socket <path>] [--limit <bytes>]
//
// Starts a debug endpoint (at its default place, $TMPDIR/reclaim-{pid}-{start}-socket, unless --socket is given; read-only
// with --read-only), with the reclaimer's limit at 64 GiB (idle) unless --limit gives a smaller one (under pressure at
// once: a demonstration for dotnet-reclaim top and stat), prints one line "ready <pid> <endpoint>", and runs until its standard input closes; then it stops
// the endpoint, the reclaimer and the shrinkers and exits 0. Exits 1 when the endpoint cannot start, 2 on a bad argument.
bool readOnly = false;
string? socket = null;
long limit = TargetProcess.IdleLimit;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--read-only":
            readOnly = true;
            break;
        case "--socket" when i + 1 < args.Length:
            socket = args[++i];
            break;
        case "--limit" when i + 1 < args.Length && long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) && bytes > 0:
            limit = bytes;
            i++;
            break;
        default:
            await Console.Error.WriteLineAsync($"unknown argument '{args[i]}'; usage: [--read-only] [--socket <path>] [--limit <bytes>]");
            return 2;
    }
}

using var target = new TargetProcess(limit);
var options = new ReclaimDiagnosticServerOptions
{
    Enabled = true,
    ReadOnly = readOnly,
    SocketPath = socket,
    Log = message => Console.Error.WriteLine($"server: {message}"),
};
await using var server = new ReclaimDiagnosticServer(target.Registry, target.Reclaimer, options);
if (!server.Start())
{
    await Console.Error.WriteLineAsync("the debug endpoint did not start (see the server's lines above)");
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {Environment.ProcessId} {server.Endpoint}"));
Console.Out.Flush();
while (await Console.In.ReadLineAsync() is not null)
{
    // Anything written is ignored: the process lives until its standard input closes.
}

return 0;
