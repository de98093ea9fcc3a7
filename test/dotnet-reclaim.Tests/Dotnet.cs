using System.Collections.Concurrent;
using System.Diagnostics;

namespace Reclaim.Tool.Tests;

/// <summary>What a process printed and how it ended.</summary>
internal sealed record ProcessResult(int? ExitCode, bool TimedOut, string Stdout, string Stderr);

/// <summary>The <c>dotnet</c> host, and running a dll with it under a timeout (the child's whole tree is killed past it).</summary>
internal static class Dotnet
{
    /// <summary>The host running these tests when it can be found, else <c>dotnet</c> on the PATH.</summary>
    public static string Host { get; } = Reclaim.Testing.DotnetHost.Path;

    public static async Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        using var captured = new Reclaim.Testing.CapturedProcess(info);
        Process process = captured.Process;
        ConcurrentQueue<string> stdout = captured.Stdout;
        ConcurrentQueue<string> stderr = captured.Stderr;
        captured.Start();
        process.StandardInput.Close();
        bool timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        int? exitCode = null;
        if (process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.WaitForExit(); // drains the output
            exitCode = process.ExitCode;
        }

        return new ProcessResult(exitCode, timedOut, string.Join('\n', stdout), string.Join('\n', stderr));
    }
}
