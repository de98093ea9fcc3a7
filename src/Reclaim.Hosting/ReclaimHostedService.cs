using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reclaim.Hosting.Internal;
using Reclaim.Pressure;

namespace Reclaim.Hosting;

/// <summary>
/// Runs the container's <see cref="Reclaimer"/> for the host's lifetime: registered by <c>AddReclaim</c>, once however
/// often it is called.
/// </summary>
/// <remarks>
/// <para>
/// Start: adds a logging hook to the registry (shrinker callback faults, reclaimer failures), subscribes to
/// <see cref="Reclaimer.PressureChanged"/> and <see cref="Reclaimer.RunCompleted"/> (logs; the metrics subscribe on
/// their own) and, when
/// <see cref="ReclaimOptions.Enabled"/>, starts background reclaim and logs the limit and each pressure source's status
/// once (Information, the reason included for a source that cannot run here: a missing cgroup file or another OS is
/// not a fault). A reclaimer the application started itself is left running as it is.
/// </para>
/// <para>
/// Stop: stops background reclaim (the reclaimer's <see cref="Reclaimer.Stop"/> waits for a run in progress; it runs
/// on the thread pool so the host's shutdown timeout is honoured: when the token fires first, the run ends on its own
/// and a warning says so; disposing the service waits for it), then unsubscribes and removes the hook. The container
/// disposes the reclaimer.
/// </para>
/// </remarks>
internal sealed class ReclaimHostedService : IHostedService, IDisposable
{
    private readonly Reclaimer _reclaimer;
    private readonly ReclaimOptions _options;
    private readonly ILogger _logger;
    private readonly LoggingDiagnostics _diagnostics;
    private readonly EventHandler<MemoryPressureChange> _onPressureChanged;
    private readonly EventHandler<ReclaimRun> _onRunCompleted;

    // Start and stop are called by the host one after the other, never at once.
    private bool _subscribed;
    private bool _startedReclaimer;

    // The reclaimer's Stop, running on the thread pool; still running when the host's shutdown token fired first.
    private Task? _stopping;

    // The debug endpoint while the host runs, when turned on.
    private Diagnostics.ReclaimDiagnosticServer? _endpoint;

    public ReclaimHostedService(
        Reclaimer reclaimer,
        IOptions<ReclaimOptions> options,
        ReclaimMetrics metrics,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(reclaimer);
        ArgumentNullException.ThrowIfNull(options);
        // The metrics are only taken so the container makes them with the service: they subscribe to the reclaimer on
        // their own.
        ArgumentNullException.ThrowIfNull(metrics);
        loggerFactory ??= NullLoggerFactory.Instance;
        _reclaimer = reclaimer;
        _options = options.Value;
        _logger = loggerFactory.CreateLogger<Reclaimer>();
        _diagnostics = new LoggingDiagnostics(loggerFactory.CreateLogger<Shrinker>(), timeProvider ?? TimeProvider.System);
        _onPressureChanged = OnPressureChanged;
        _onRunCompleted = OnRunCompleted;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_subscribed)
        {
            _reclaimer.Registry.AddDiagnostics(_diagnostics);
            _reclaimer.PressureChanged += _onPressureChanged;
            _reclaimer.RunCompleted += _onRunCompleted;
            _subscribed = true;
        }

        StartEndpoint();
        if (!_options.Enabled)
        {
            string setting = _options.KeyOf(nameof(ReclaimOptions.Enabled));
            Log.ReclaimDisabled(_logger, setting);
            return Task.CompletedTask;
        }

        if (!_reclaimer.IsRunning)
        {
            _reclaimer.Start();
            _startedReclaimer = true;
        }

        MemoryLimit limit = _reclaimer.Limit;
        Log.ReclaimStarted(_logger, limit.Bytes, limit.Source, _options.StartWatermark, _options.TargetWatermark, _options.DirectWatermark);
        foreach (MemoryPressureSourceStatus source in _reclaimer.Sources)
        {
            if (source.IsActive)
            {
                Log.PressureSourceActive(_logger, source.Name);
            }
            else
            {
                Log.PressureSourceInactive(_logger, source.Name, source.UnsupportedReason ?? "no reason given");
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is { } endpoint)
        {
            _endpoint = null;
            await endpoint.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            if (_startedReclaimer)
            {
                _startedReclaimer = false;
                Task stopping = _stopping = Task.Run(_reclaimer.Stop, CancellationToken.None);
                await stopping.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!stopping.IsCompleted)
                {
                    Log.ReclaimStopAbandoned(_logger);
                }
                else if (stopping.Exception is { } failure)
                {
                    Log.ReclaimerFailed(_logger, failure.GetBaseException());
                }
                else
                {
                    Log.ReclaimStopped(_logger, _reclaimer.RunCount, _reclaimer.InducedCollectionCount);
                }
            }
        }
        finally
        {
            if (_subscribed)
            {
                _subscribed = false;
                _reclaimer.PressureChanged -= _onPressureChanged;
                _reclaimer.RunCompleted -= _onRunCompleted;
                _reclaimer.Registry.RemoveDiagnostics(_diagnostics);
            }
        }
    }

    /// <summary>
    /// Waits for a stop that outlived the host's shutdown token. The container disposes this service before the
    /// reclaimer it depends on, and the reclaimer must not be disposed while its thread still runs: its
    /// <see cref="Reclaimer.Dispose"/> called during another thread's <see cref="Reclaimer.Stop"/> returns without
    /// waiting for the thread and releases the wake-up event under it.
    /// </summary>
    public void Dispose()
    {
        _endpoint?.Dispose();
        _stopping?.Wait();
    }

    /// <summary>Opens the debug endpoint when the options or <c>RECLAIM_DIAGNOSTICS</c> say so; never throws into the host.</summary>
    private void StartEndpoint()
    {
        if (_endpoint is not null)
        {
            return;
        }

        var endpoint = new Diagnostics.ReclaimDiagnosticServer(_reclaimer.Registry, _reclaimer, new Diagnostics.ReclaimDiagnosticServerOptions
        {
            Enabled = _options.DiagnosticEndpoint,
            ReadOnly = _options.DiagnosticEndpointReadOnly,
            Log = message => Log.DiagnosticEndpointMessage(_logger, message),
        });
        if (endpoint.Start())
        {
            _endpoint = endpoint;
            Log.DiagnosticEndpointListening(_logger, endpoint.Endpoint ?? "?", _options.DiagnosticEndpointReadOnly);
        }
        else
        {
            endpoint.Dispose();
        }
    }

    /// <summary>On the reclaimer's thread: Information when pressure rises to Moderate or falls, Warning at Critical.</summary>
    private void OnPressureChanged(object? sender, MemoryPressureChange change)
    {
        LogLevel level = change.Current == MemoryPressureLevel.Critical && change.Previous < MemoryPressureLevel.Critical
            ? LogLevel.Warning
            : LogLevel.Information;
        Log.PressureChanged(_logger, level, change.Previous, change.Current, change.UsageBytes, change.LimitBytes);
    }

    /// <summary>On the reclaimer's thread: a Debug line, or Information when the run was out of the ordinary.</summary>
    private void OnRunCompleted(object? sender, ReclaimRun run)
    {
        LogLevel level = run.InducedCollection || !run.Result.TargetMet ? LogLevel.Information : LogLevel.Debug;
        Log.ReclaimRun(
            _logger, level, run.Trigger, run.Level, run.UsageBytes, run.LimitBytes, run.TargetBytes,
            run.Result.BytesFreed, run.Result.ObjectsFreed, run.Result.LowestPriority, run.Result.TargetMet, run.InducedCollection,
            run.Duration.TotalMilliseconds, run.ReactionTime.TotalMilliseconds);
    }
}
