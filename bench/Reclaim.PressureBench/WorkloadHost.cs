using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Reclaim.Samples;
using Reclaim.Units;

namespace Reclaim.PressureBench;

/// <summary>Starts one run of the workload as a child process (<c>dotnet &lt;workload dll&gt;</c>), with a timeout, and reads its outcome.</summary>
internal sealed class WorkloadHost
{
    /// <summary>Environment variables of this process that must not reach a child (they would change its GC).</summary>

    private readonly BenchOptions _options;
    private readonly TextWriter _progress;

    public WorkloadHost(BenchOptions options, TextWriter progress)
    {
        _options = options;
        _progress = progress;
    }

    /// <summary>The workload's dll where the build put it (assembly metadata), or <c>RECLAIM_E2E_WORKLOAD</c>.</summary>
    public static string DefaultWorkloadDll { get; } =
        Environment.GetEnvironmentVariable("RECLAIM_E2E_WORKLOAD") is { Length: > 0 } overridden
            ? overridden
            : typeof(WorkloadHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "WorkloadDll")?.Value ?? "Reclaim.EndToEnd.Workload.dll";

    /// <summary>The <c>dotnet</c> host running this process, else <c>dotnet</c> from PATH.</summary>
    public static string DotnetHost { get; } = FindDotnet();

    /// <summary>A heap hard limit as DOTNET_GCHeapHardLimit wants it: hexadecimal.</summary>
    public static string Hex(long bytes) => "0x" + bytes.ToString("X", CultureInfo.InvariantCulture);

    /// <summary>
    /// The limit the workload itself sees: the heap hard limit, or in a cgroup the runtime's default share of it (75%).
    /// The lowered phase lowers this one, by a third.
    /// </summary>
    public long HeapLimit => _options.Cgroup ? _options.Limit * 3 / 4 : _options.Limit;

    /// <summary>The workload's arguments for <paramref name="spec"/>.</summary>
    public IReadOnlyList<string> Arguments(RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var args = new List<string>
        {
            _options.WorkloadDll,
            "--cache", spec.Peer.Name,
            "--seconds", Invariant(_options.Seconds),
            "--threads", Invariant(_options.Threads),
            "--keys", Invariant(_options.Keys),
            "--seed", Invariant(_options.Seed),
        };
        if (spec.SizeLimitBytes is { } size)
        {
            args.AddRange(["--size-limit", Invariant(size)]);
        }

        if (_options.LoadMicroseconds > 0)
        {
            args.AddRange(["--load-us", Invariant(_options.LoadMicroseconds)]);
        }

        if (spec.Phase == Phase.Lowered)
        {
            args.AddRange(["--lower-limit-at", Invariant(_options.LowerAt), "--lower-limit-to", Invariant(HeapLimit * 2 / 3)]);
        }

        return args;
    }

    /// <summary>The child's environment on top of this process's (less its GC settings).</summary>
    public IReadOnlyDictionary<string, string> ChildEnvironment(RunSpec spec) => _options.Cgroup
        ? new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }
        : new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = Hex(_options.Limit), ["DOTNET_gcServer"] = "0" };

    /// <summary>Runs <paramref name="spec"/> (in <paramref name="cgroup"/> when given) and reads its outcome.</summary>
    public async Task<RunOutcome> RunAsync(RunSpec spec, CgroupSandbox? cgroup, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> arguments = Arguments(spec);
        IReadOnlyDictionary<string, string> environment = ChildEnvironment(spec);
        string fileName = DotnetHost;
        IReadOnlyList<string> processArguments = arguments;
        if (cgroup is not null)
        {
            IReadOnlyList<string> wrapped = cgroup.Wrap([DotnetHost, .. arguments]);
            fileName = wrapped[0];
            processArguments = [.. wrapped.Skip(1)];
        }

        string command = string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}")) + " dotnet " +
                         string.Join(' ', arguments.Select((a, i) => i == 0 ? Path.GetFileName(a) : a));
        ProcessStartInfo info = ChildProcess.StartInfo(fileName, processArguments, environment);

        var stdout = new ConcurrentQueue<string>();
        var stderr = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stdout.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.Enqueue(e.Data);
            }
        };

        _progress.WriteLine($"[{spec.Phase.ToString().ToLowerInvariant()}] {spec.Label}{(_options.Repeat > 1 ? $" #{spec.Repeat}" : string.Empty)}: {command}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(_options.Seconds + 60));
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                Kill(process);
            }
        }

        int? exitCode = null;
        if (process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.WaitForExit(); // drains the output
            exitCode = process.ExitCode;
        }

        cancellationToken.ThrowIfCancellationRequested();
        RunOutcome outcome = RunOutcome.FromOutput(
            spec, [.. stdout], [.. stderr], exitCode, timedOut, spec.Phase == Phase.Lowered ? HeapLimit * 2 / 3 : 0, command,
            cgroup?.LimitBytes ?? 0, cgroup?.ReadPeak() ?? -1, cgroup?.ReadOomKills() ?? -1);
        _progress.WriteLine(outcome.Survived
            ? string.Create(CultureInfo.InvariantCulture, $"    survived: hit rate {outcome.HitRate:F3}, {outcome.OpsPerSecond / 1000:F0} k ops/s, peak {ByteSize.Format(outcome.PeakUsage)}")
            : string.Create(CultureInfo.InvariantCulture, $"    died: {outcome.DeathReason} at {outcome.DiedAt:F2} s"));
        return outcome;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // It is exiting.
        }
    }

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    private static string FindDotnet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        if (Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            return processPath;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll -> <root>/dotnet
        string? runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (runtimeDirectory is not null)
        {
            string candidate = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }
}
