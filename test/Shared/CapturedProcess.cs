using System.Collections.Concurrent;
using System.Diagnostics;

namespace Reclaim.Testing;

/// <summary>A child process whose stdout and stderr lines are collected as they come (both must be redirected).</summary>
internal sealed class CapturedProcess : IDisposable
{
    public CapturedProcess(ProcessStartInfo info)
    {
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Stdout.Enqueue(e.Data);
            }
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Stderr.Enqueue(e.Data);
            }
        };
    }

    /// <summary>The process (not started until <see cref="Start"/>).</summary>
    public Process Process { get; }

    /// <summary>Its stdout lines so far.</summary>
    public ConcurrentQueue<string> Stdout { get; } = new();

    /// <summary>Its stderr lines so far.</summary>
    public ConcurrentQueue<string> Stderr { get; } = new();

    /// <summary>Starts it and begins reading both streams.</summary>
    public void Start()
    {
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    /// <summary>
    /// Waits for it to exit, up to <paramref name="timeout"/> or until <paramref name="cancellationToken"/>; past that,
    /// kills its whole tree. Then gives the kernel up to 10 s to reap it, and reads its output to the end.
    /// </summary>
    /// <returns>Its exit code (null when it never exited, not even after the kill), and whether it was killed.</returns>
    public async Task<(int? ExitCode, bool TimedOut)> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await Process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    Process.Kill(entireProcessTree: true);
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
        }

        if (!Process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            return (null, timedOut);
        }

        Process.WaitForExit(); // drains the output
        return (Process.ExitCode, timedOut);
    }

    public void Dispose() => Process.Dispose();
}
