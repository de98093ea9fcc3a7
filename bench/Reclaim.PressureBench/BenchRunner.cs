using System.Diagnostics;
using System.Globalization;
using Reclaim.Samples;
using Reclaim.Units;

namespace Reclaim.PressureBench;

/// <summary>What a benchmark run produced: the report's and charts' paths and the results, or why it was skipped.</summary>
internal sealed record BenchReport(string? ReportPath, IReadOnlyList<string> ChartPaths, IReadOnlyList<PeerResult> Results, string? SkippedBecause);

/// <summary>Runs every planned run one after another, then writes the report and the charts.</summary>
internal sealed class BenchRunner
{
    /// <summary>The name of each run's cgroup (then a GUID), under this process's own.</summary>
    private const string CgroupName = "reclaim-pressure";

    private readonly BenchOptions _options;
    private readonly TextWriter _progress;
    private readonly string _commandLine;

    /// <param name="options">The settings.</param>
    /// <param name="progress">Where each run's command and outcome are written as they happen.</param>
    /// <param name="commandLine">The command line, for the report.</param>
    public BenchRunner(BenchOptions options, TextWriter progress, string commandLine = "")
    {
        _options = options;
        _progress = progress;
        _commandLine = commandLine;
    }

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_options.WorkloadDll))
        {
            throw new FileNotFoundException(
                $"The workload was not found at {_options.WorkloadDll}: build test/Reclaim.EndToEnd.Workload in the same configuration " +
                "(dotnet build -c Release builds it with this project), or give --workload.", _options.WorkloadDll);
        }

        if (_options.Cgroup)
        {
            CgroupSandbox? probe = CgroupSandbox.TryCreate(_options.Limit, CgroupName, out string? reason);
            if (probe is null)
            {
                return new BenchReport(null, [], [], $"--cgroup: {reason}");
            }

            probe.TryRemove(TimeSpan.FromSeconds(5), out _);
        }

        MachineInfo machine = MachineInfo.Read();
        var host = new WorkloadHost(_options, _progress);
        var outcomes = new List<RunOutcome>();
        var clock = Stopwatch.StartNew();
        IReadOnlyList<RunSpec> plan = _options.Plan();
        _progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Count} runs of up to {_options.Seconds:0.#} s each under {ByteSize.Format(_options.Limit)}{(_options.Cgroup ? " (cgroup)" : string.Empty)}"));
        foreach (RunSpec spec in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CgroupSandbox? cgroup = null;
            if (_options.Cgroup)
            {
                cgroup = CgroupSandbox.TryCreate(_options.Limit, CgroupName, out string? reason)
                    ?? throw new InvalidOperationException($"--cgroup: the cgroup for {spec.Label} could not be made: {reason}");
            }

            try
            {
                outcomes.Add(await host.RunAsync(spec, cgroup, cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                if (cgroup is not null && !cgroup.TryRemove(TimeSpan.FromSeconds(10), out string? error))
                {
                    _progress.WriteLine($"warning: could not remove the cgroup {cgroup.Directory}: {error}");
                }
            }
        }

        clock.Stop();
        IReadOnlyList<PeerResult> results = PeerResult.Group(outcomes);
        Directory.CreateDirectory(_options.OutputDirectory);
        string stem = $"pressure-{_options.Date:yyyy-MM-dd}";
        var charts = new Dictionary<Phase, string>();
        var chartPaths = new List<string>();
        foreach (Phase phase in _options.Phases)
        {
            PeerResult[] phaseResults = [.. results.Where(r => r.Spec.Phase == phase)];
            if (phaseResults.Length == 0)
            {
                continue;
            }

            string name = $"{stem}-{phase.ToString().ToLowerInvariant()}.png";
            string path = Path.Combine(_options.OutputDirectory, name);
            string title = phase == Phase.Steady
                ? $"Managed heap under a steady {ByteSize.Format(phaseResults[0].Limit)} limit"
                : $"Managed heap, limit lowered from {ByteSize.Format(phaseResults[0].Limit)} to {ByteSize.Format(phaseResults[0].LoweredLimit)} at {_options.LowerAt:0.#} s";
            if (_options.Repeat > 1)
            {
                title += $" (run 1 of {_options.Repeat} of each peer)";
            }

            ChartBuilder.Write(path, title, phaseResults, _options, phase);
            charts[phase] = name;
            chartPaths.Add(path);
        }

        string report = ReportBuilder.Build(new ReportInput
        {
            Options = _options,
            Machine = machine,
            LoadAtEnd = MachineInfo.ReadLoadAverage(),
            Results = results,
            Charts = charts,
            CommandLine = _commandLine,
            Note = _options.Note,
            Elapsed = clock.Elapsed,
        });
        string reportPath = Path.Combine(_options.OutputDirectory, stem + ".md");
        await File.WriteAllTextAsync(reportPath, report, cancellationToken).ConfigureAwait(false);
        return new BenchReport(reportPath, chartPaths, results, null);
    }
}
