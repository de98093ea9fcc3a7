using System.ComponentModel;
using System.Globalization;
using Reclaim.Samples;
using Spectre.Console;

namespace Reclaim.Demo;

/// <summary>
/// The demo's parent process: gives the workload its memory limit (a GC heap hard limit in its environment, or a child
/// memory cgroup with <c>--cgroup</c>), starts it, follows its reports in the live view or as plain lines, and ends with
/// the summary and an exit code (<see cref="ExitCodes"/>). It never shares the workload's fate: whatever the child
/// does, the parent reports it.
/// </summary>
internal static class DemoRun
{
    /// <summary>Beyond its duration, how long the workload may take to start and finish before it is stopped.</summary>
    private static readonly TimeSpan s_slack = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        ChildCommand? program = ChildCommand.ForThisProgram(out string? error);
        if (program is null)
        {
            await Console.Error.WriteLineAsync($"Reclaim.Demo: cannot start the workload: {error}.").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        CgroupSandbox? cgroup = null;
        if (options.Cgroup)
        {
            cgroup = CgroupSandbox.TryCreate(options.LimitBytes, "reclaim-demo", out string? reason);
            if (cgroup is null)
            {
                await Console.Error.WriteLineAsync($"Reclaim.Demo: --cgroup: {reason}. Running under a GC heap hard limit instead.").ConfigureAwait(false);
            }
        }

        try
        {
            return await RunAsync(options, program, cgroup, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (cgroup is not null && !cgroup.TryRemove(TimeSpan.FromSeconds(10), out string? removeError))
            {
                await Console.Error.WriteLineAsync($"Reclaim.Demo: could not remove the cgroup {cgroup.Directory}: {removeError}").ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> RunAsync(DemoOptions options, ChildCommand program, CgroupSandbox? cgroup, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_gcServer"] = "0" };
        IReadOnlyList<string> command = program.With(options.WorkerArguments());
        string limitDescription;
        if (cgroup is null)
        {
            environment["DOTNET_GCHeapHardLimit"] = "0x" + options.LimitBytes.ToString("X", CultureInfo.InvariantCulture);
            limitDescription = "GC heap hard limit";
        }
        else
        {
            command = cgroup.Wrap(command);
            limitDescription = cgroup.Version == 1 ? "cgroup v1 limit (memory.limit_in_bytes)" : "cgroup v2 limit (memory.max)";
        }

        var state = new RunState(options, limitDescription) { CgroupLimitBytes = cgroup?.LimitBytes };
        bool live = options.Live && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Ansi;
        WorkloadChild child;
        try
        {
            child = WorkloadChild.Start(command, environment);
        }
        catch (Win32Exception exception)
        {
            await Console.Error.WriteLineAsync($"Reclaim.Demo: cannot start the workload ({command[0]}): {exception.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        using (child)
        {
            return await FollowAndSummarizeAsync(state, child, cgroup, live, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Follows the workload to its end in the chosen view, then prints the summary; returns the demo's exit code.</summary>
    private static async Task<int> FollowAndSummarizeAsync(RunState state, WorkloadChild child, CgroupSandbox? cgroup, bool live, CancellationToken cancellationToken)
    {
        (Outcome outcome, int? exitCode) = live
            ? await LiveView.RunAsync(state, update => FollowAsync(child, state, cgroup, update, cancellationToken)).ConfigureAwait(false)
            : await new PlainView(Console.Out).RunAsync(update => FollowAsync(child, state, cgroup, update, cancellationToken)).ConfigureAwait(false);

        Console.WriteLine();
        IReadOnlyList<string> lines = Summary.Lines(state, outcome, exitCode, child.OutputTail);
        for (int i = 0; i < lines.Count; i++)
        {
            if (i == 0 && live)
            {
                string color = outcome == Outcome.Survived ? "green" : "red";
                AnsiConsole.MarkupLine($"[bold {color}]{Markup.Escape(lines[i])}[/]");
            }
            else
            {
                Console.WriteLine(lines[i]);
            }
        }

        return outcome switch
        {
            Outcome.Survived => ExitCodes.Survived,
            Outcome.OutOfMemory or Outcome.KilledByOomKiller => ExitCodes.OutOfMemory,
            Outcome.Interrupted => ExitCodes.Interrupted,
            _ => ExitCodes.Failed,
        };
    }

    /// <summary>Reads the workload's reports until it exits (or the deadline, or Ctrl+C), calling <paramref name="update"/> after each.</summary>
    private static async Task<(Outcome, int?)> FollowAsync(
        WorkloadChild child, RunState state, CgroupSandbox? cgroup, Action<RunState> update, CancellationToken interrupted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(interrupted);
        deadline.CancelAfter(state.Options.Duration + s_slack);
        int exitCode;
        try
        {
            await foreach (WorkerReport report in child.Reports.ReadAllAsync(deadline.Token).ConfigureAwait(false))
            {
                state.Apply(report);
                state.CgroupUsageBytes = cgroup?.ReadUsage();
                update(state);
            }

            exitCode = await child.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            child.Kill();
            return (interrupted.IsCancellationRequested ? Outcome.Interrupted : Outcome.TimedOut, null);
        }

        if (cgroup is not null)
        {
            state.CgroupEnd = (cgroup.ReadPeak(), cgroup.ReadOomKills());
        }

        update(state);
        return (interrupted.IsCancellationRequested ? Outcome.Interrupted : state.Classify(exitCode, child.OutputTail), exitCode);
    }
}

/// <summary>The demo's exit codes (README.md).</summary>
internal static class ExitCodes
{
    /// <summary>The workload ran its whole duration.</summary>
    public const int Survived = 0;

    /// <summary>The workload failed for another reason than memory, did not end in time, or could not be started.</summary>
    public const int Failed = 1;

    /// <summary>A bad command line.</summary>
    public const int BadArguments = 2;

    /// <summary>The workload died for lack of memory: an OutOfMemoryException, or the kernel's OOM killer.</summary>
    public const int OutOfMemory = 3;

    /// <summary>Stopped by Ctrl+C.</summary>
    public const int Interrupted = 130;
}
