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

    public void Dispose() => Process.Dispose();
}
