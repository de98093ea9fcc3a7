using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Reclaim.Samples;
using System.Threading.Channels;

namespace Reclaim.Demo;

/// <summary>
/// The workload as the parent sees it: a child process whose standard output lines are read as
/// <see cref="WorkerReport"/>s (anything else it prints is kept, as is the end of its standard error, for when it fails).
/// </summary>
internal sealed class WorkloadChild : IDisposable
{
    /// <summary>Variables that must not pass from this process to the child: they would change its GC (its limit above all).</summary>

    private const int TailLines = 20;

    private readonly Process _process;
    private readonly Channel<WorkerReport> _reports = Channel.CreateUnbounded<WorkerReport>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<string> _otherOutput = new();
    private readonly ConcurrentQueue<string> _errorOutput = new();

    private WorkloadChild(Process process) => _process = process;

    /// <summary>Its reports, in order; complete when its standard output closes (it exited).</summary>
    public ChannelReader<WorkerReport> Reports => _reports.Reader;

    public int ProcessId => _process.Id;

    /// <summary>The last lines it wrote that were not reports, standard error after standard output.</summary>
    public IReadOnlyList<string> OutputTail => [.. _otherOutput, .. _errorOutput];

    /// <summary>
    /// Starts <paramref name="command"/> (file name first) with this process's environment less its GC settings, plus
    /// <paramref name="environment"/>.
    /// </summary>
    public static WorkloadChild Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        // Standard input is a pipe: the child must not read the terminal the live view draws on.
        ProcessStartInfo info = ChildProcess.StartInfo(command[0], command.Skip(1), environment, redirectInput: true);
        var process = new Process { StartInfo = info };
        var child = new WorkloadChild(process);
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(child._errorOutput, e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for it to exit and for its output to be read; its exit code (128 + n when killed by signal n).</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Ends it (and anything it started) if it still runs.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It had exited.
        }
        catch (Win32Exception)
        {
            // It is exiting.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _reports.Writer.TryComplete();
        }
        else if (DemoJson.TryRead(line) is { } report)
        {
            _reports.Writer.TryWrite(report);
        }
        else
        {
            Keep(_otherOutput, line);
        }
    }

    private static void Keep(ConcurrentQueue<string> tail, string? line)
    {
        if (line is null)
        {
            return;
        }

        tail.Enqueue(line);
        while (tail.Count > TailLines && tail.TryDequeue(out _))
        {
        }
    }
}
