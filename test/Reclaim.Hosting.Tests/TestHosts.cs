using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Reclaim.Pressure;

namespace Reclaim.Hosting.Tests;

/// <summary>Hosts for the tests: their own registry, fake logging at Debug, and a reclaimer that only reclaims when told.</summary>
internal static class TestHosts
{
    /// <summary>
    /// A limit so large that no reading reaches a watermark: only <see cref="Reclaimer.Signal"/> starts a run. A power of
    /// ten, so that the watermarks' lines are whole numbers of bytes (a signalled level reclaims from its line, truncated
    /// to bytes, and a line rounded down would read as the level below).
    /// </summary>
    public const long HugeLimit = 1_000_000_000_000_000;

    /// <summary>
    /// Settings that make the hosted reclaimer deterministic: no pressure sources, no sampling, no induced collections,
    /// and <see cref="HugeLimit"/>.
    /// </summary>
    public static Dictionary<string, string?> QuietSettings() => new()
    {
        ["Reclaim:MemoryLimitBytes"] = HugeLimit.ToString(CultureInfo.InvariantCulture),
        ["Reclaim:SamplingInterval"] = "00:00:00",
        ["Reclaim:InduceCollections"] = "false",
        ["Reclaim:UseGen2CollectionSignal"] = "false",
        ["Reclaim:UseCgroupEvents"] = "false",
        ["Reclaim:UsePressureStallInformation"] = "false",
    };

    /// <summary>
    /// A host builder without the defaults (no appsettings, environment variables or console logging), with
    /// <paramref name="settings"/> (default <see cref="QuietSettings"/>) as its configuration, a registry of its own
    /// (so the process-wide default stays out of it) and a fake log collector at Debug.
    /// </summary>
    public static HostApplicationBuilder Builder(IDictionary<string, string?>? settings = null, ShrinkerRegistry? registry = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? QuietSettings());
        builder.Services.AddSingleton(registry ?? new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 1 }));
        builder.Logging.AddFakeLogging();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        return builder;
    }

    /// <summary>Builds and starts the host.</summary>
    public static async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        IHost host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public static Reclaimer Reclaimer(this IHost host) => host.Services.GetRequiredService<Reclaimer>();

    public static ShrinkerRegistry Registry(this IHost host) => host.Services.GetRequiredService<ShrinkerRegistry>();

    public static FakeLogCollector Logs(this IHost host) => host.Services.GetFakeLogCollector();

    /// <summary>The records of Reclaim's categories with <paramref name="eventId"/>, in order (the host logs its own ids too).</summary>
    public static List<FakeLogRecord> WithEvent(this FakeLogCollector logs, int eventId) =>
        [.. logs.GetSnapshot().Where(r => r.Id.Id == eventId && r.Category?.StartsWith("Reclaim.", StringComparison.Ordinal) == true)];

    /// <summary>A structured value of a log record, by its name in the message template.</summary>
    public static string? Value(this FakeLogRecord record, string name) =>
        record.StructuredState?.FirstOrDefault(pair => pair.Key == name).Value;

    /// <summary>
    /// The next background run. Subscribed after the host started, so the hosted service's own handler (logs, metrics)
    /// has run when this completes.
    /// </summary>
    public static Task<ReclaimRun> NextRunAsync(this Reclaimer reclaimer)
    {
        var next = new TaskCompletionSource<ReclaimRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<ReclaimRun>? handler = null;
        handler = (_, run) =>
        {
            reclaimer.RunCompleted -= handler;
            next.TrySetResult(run);
        };
        reclaimer.RunCompleted += handler;
        return next.Task;
    }

    /// <summary>The next pressure change, as <see cref="NextRunAsync"/>.</summary>
    public static Task<MemoryPressureChange> NextPressureChangeAsync(this Reclaimer reclaimer)
    {
        var next = new TaskCompletionSource<MemoryPressureChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<MemoryPressureChange>? handler = null;
        handler = (_, change) =>
        {
            reclaimer.PressureChanged -= handler;
            next.TrySetResult(change);
        };
        reclaimer.PressureChanged += handler;
        return next.Task;
    }

    /// <summary>Waits for <paramref name="task"/> with the tests' timeout and returns its result.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        await Threaded.Within(task, what);
        return await task;
    }
}
