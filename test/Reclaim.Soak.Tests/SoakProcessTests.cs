using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Reclaim.Samples;

namespace Reclaim.Soak.Tests;

/// <summary>
/// The soak as a child process under a 256 MiB GC heap hard limit: 30 s by default (CI), <c>RECLAIM_SOAK_SECONDS</c>
/// seconds when set (600 for the real soak). It must exit 0 (every invariant held) and its numbers must show that every
/// part really worked: shrinkers registered and freed, groups created and taken offline, and reclaim from every source.
/// </summary>
public sealed class SoakProcessTests
{
    /// <summary>The soak's dll: <c>RECLAIM_SOAK_DLL</c>, else where the build put it.</summary>
    private static readonly string s_soakDll =
        Environment.GetEnvironmentVariable("RECLAIM_SOAK_DLL") is { Length: > 0 } overridden
            ? overridden
            : typeof(SoakProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "SoakDll")?.Value ?? "Reclaim.Soak.dll";

    /// <summary>How long the soak runs: <c>RECLAIM_SOAK_SECONDS</c>, else 30.</summary>
    internal static int Seconds =>
        int.TryParse(Environment.GetEnvironmentVariable("RECLAIM_SOAK_SECONDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? seconds
            : 30;

    [Fact]
    public async Task Soak_UnderHeapLimit_EveryInvariantHoldsAndEverySourceReclaims()
    {
        Assert.True(File.Exists(s_soakDll), $"The soak was not found at {s_soakDll}: build test/Reclaim.Soak in the same configuration, or set RECLAIM_SOAK_DLL.");
        int seconds = Seconds;
        ProcessStartInfo info = ChildProcess.StartInfo(
            DotnetHost.Path,
            [s_soakDll, "--seconds", seconds.ToString(CultureInfo.InvariantCulture)],
            [new("DOTNET_GCHeapHardLimit", "0x10000000"), new("DOTNET_gcServer", "0")]);
        using var child = new CapturedProcess(info);
        child.Start();

        // Generous: the run, its teardown, and a loaded machine.
        (int? exitCode, bool timedOut) = await child.WaitAsync(TimeSpan.FromSeconds((seconds * 2) + 300), TestContext.Current.CancellationToken);
        string[] stdout = [.. child.Stdout];
        string[] stderr = [.. child.Stderr];
        ITestOutputHelper? output = TestContext.Current.TestOutputHelper;
        foreach (string line in stdout.Where(l => !l.StartsWith("metric ", StringComparison.Ordinal)))
        {
            output?.WriteLine(line);
        }

        foreach (string line in stderr)
        {
            output?.WriteLine("stderr: " + line);
        }

        string tail = string.Join('\n', stdout.Where(l => !l.StartsWith("metric ", StringComparison.Ordinal)).TakeLast(60)) + "\n" + string.Join('\n', stderr.TakeLast(20));
        Assert.False(timedOut, $"The soak did not finish in time.\n{tail}");
        Assert.True(exitCode == 0, $"The soak exited with {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}.\n{tail}");
        Assert.Contains(stdout, l => l.StartsWith("soak result=ok", StringComparison.Ordinal));

        Dictionary<string, double> metrics = Metrics.Parse(stdout);
        Assert.All(Metrics.RequiredWork, name => Assert.True(metrics.GetValueOrDefault(name) > 0, $"The soak's numbers show no work for {name}.\n{tail}"));
        Assert.True(metrics.GetValueOrDefault("reclaim.root-pass.freed") + metrics.GetValueOrDefault("reclaim.group-pass.freed") > 0, "Explicit passes freed nothing.");
        Assert.Equal(0, metrics.GetValueOrDefault("scan-calls.Unattributed"));
        Assert.Equal(0, metrics.GetValueOrDefault("invariant.violations"));
        Assert.True(metrics.GetValueOrDefault("samples.warm") >= Flatness.MinimumSamples, "Too few memory samples to judge flatness.");
    }
}

/// <summary>The soak's <c>metric name=value</c> lines, and the ones that must be above 0 in every run.</summary>
internal static class Metrics
{
    /// <summary>Every kind of work and every reclaim source: each must have happened (and freed, where it frees).</summary>
    public static readonly string[] RequiredWork =
    [
        // Shrinkers: allocated, registered, freed, some never registered; items charged, removed, drained at free.
        "ops.alloc", "ops.register", "ops.free", "ops.free-unregistered", "ops.item-added", "ops.item-removed", "items.drained",
        // Groups (nested, with limits) created and taken offline; charges; caches filled, replaced, their groups churned.
        "ops.group-created", "ops.group-offline", "ops.charge", "ops.uncharge", "ops.cache-get-or-add", "ops.cache-disposed",
        "ops.cache-group-created", "ops.cache-group-offline",
        // Reclaim from every source, and what it freed.
        "reclaimer.run-count", "background.bytes-freed", "scan-freed.Background",
        "reclaim.direct.calls", "reclaim.direct.bytes-freed", "scan-freed.Direct",
        "scan-calls.Charge", "scan-freed.Charge",
        "reclaim.root-pass.calls", "reclaim.group-pass.calls",
        "reclaim.drop-caches.calls", "reclaim.drop-caches.freed",
        "reclaim.endpoint-drop-caches.calls", "reclaim.endpoint-drop-caches.freed", "scan-freed.Endpoint",
        // The endpoint queried concurrently.
        "endpoint.ok.list", "endpoint.ok.count", "endpoint.ok.scan", "endpoint.ok.groups", "endpoint.ok.stat",
        // The invariants checked throughout.
        "invariant.checks", "invariant.pauses", "leaks.tracked",
    ];

    public static Dictionary<string, double> Parse(IEnumerable<string> lines)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            if (!line.StartsWith("metric ", StringComparison.Ordinal))
            {
                continue;
            }

            int eq = line.LastIndexOf('=');
            if (eq > 7 && double.TryParse(line.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                metrics[line[7..eq]] = value;
            }
        }

        return metrics;
    }
}
