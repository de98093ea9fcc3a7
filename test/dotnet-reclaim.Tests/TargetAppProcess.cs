using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Reclaim.Tool.Tests;

/// <summary>
/// Reclaim.Diagnostics.TargetApp running as a child process, its endpoint in a directory of its own (its
/// <c>TMPDIR</c>), so that tests never see the real <c>$TMPDIR</c> endpoints and run in parallel. Disposing closes its
/// standard input (it then exits by itself) and kills it if it has not exited within a few seconds.
/// </summary>
internal sealed class TargetAppProcess : IAsyncDisposable
{
    /// <summary>How long the app may take to print its ready line.</summary>
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stderr;
    private readonly bool _ownsDirectory;

    private TargetAppProcess(Process process, ConcurrentQueue<string> stderr, string directory, bool ownsDirectory, int processId, string endpoint)
    {
        _process = process;
        _stderr = stderr;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        ProcessId = processId;
        Endpoint = endpoint;
    }

    /// <summary>The app's dll: <c>RECLAIM_TARGET_APP</c>, else where the build put it (assembly metadata).</summary>
    public static string Dll { get; } = Metadata("TargetAppDll", "RECLAIM_TARGET_APP");

    /// <summary>The tool's own dll, for running it as a process: <c>RECLAIM_TOOL_DLL</c>, else where the build put it.</summary>
    public static string ToolDll { get; } = Metadata("ToolDll", "RECLAIM_TOOL_DLL");

    /// <summary>The directory the endpoint is in: pass it to the tool as its endpoint directory (or as <c>TMPDIR</c>).</summary>
    public string Directory { get; }

    public int ProcessId { get; }

    /// <summary>The socket path the app printed.</summary>
    public string Endpoint { get; }

    public string Pid => ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Starts the app and waits for its <c>ready &lt;pid&gt; &lt;endpoint&gt;</c> line.</summary>
    /// <param name="directory">Where its endpoint goes; <see langword="null"/> for a fresh directory, removed on dispose.</param>
    /// <param name="readOnly">Whether its endpoint refuses the commands that change something.</param>
    public static async Task<TargetAppProcess> StartAsync(string? directory = null, bool readOnly = false)
    {
        Assert.True(File.Exists(Dll),
            $"The target app was not found at {Dll}: build test/Reclaim.Diagnostics.TargetApp in the same configuration " +
            "(dotnet test Reclaim.slnx builds it), or set RECLAIM_TARGET_APP to its dll.");
        bool owns = directory is null;
        directory ??= System.IO.Directory.CreateTempSubdirectory("rtool").FullName;
        var info = new ProcessStartInfo(Dotnet.Host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        if (readOnly)
        {
            info.ArgumentList.Add("--read-only");
        }

        info.Environment["TMPDIR"] = directory;
        info.Environment["RECLAIM_DIAGNOSTICS"] = "1";
        var stderr = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_startTimeout);
        string? line = null;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        string[] words = line?.Split(' ') ?? [];
        if (words is not ["ready", var pid, var endpoint])
        {
            Kill(process);
            process.Dispose();
            Assert.Fail($"The target app did not get ready within {s_startTimeout.TotalSeconds} s; it printed '{line}'; stderr: {string.Join(" | ", stderr)}");
            throw new InvalidOperationException(); // not reached
        }

        return new TargetAppProcess(process, stderr, directory, owns, int.Parse(pid, CultureInfo.InvariantCulture), endpoint);
    }

    /// <summary>What the app wrote on its standard error (the server's log).</summary>
    public string Stderr => string.Join('\n', _stderr);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            Kill(_process);
        }
        finally
        {
            _process.Dispose();
        }

        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    private static string Metadata(string key, string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } overridden
            ? overridden
            : typeof(TargetAppProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}

/// <summary>A started target app shared by the tests of a class (they must not change it).</summary>
public sealed class SharedTarget : IAsyncLifetime
{
    private TargetAppProcess? _target;

    internal TargetAppProcess Target => _target ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _target = await TargetAppProcess.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}

/// <summary>A started target app whose endpoint is read-only, shared by the tests of a class.</summary>
public sealed class ReadOnlyTarget : IAsyncLifetime
{
    private TargetAppProcess? _target;

    internal TargetAppProcess Target => _target ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _target = await TargetAppProcess.StartAsync(readOnly: true);

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}
