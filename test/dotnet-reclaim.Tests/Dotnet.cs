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
        (int? exitCode, bool timedOut) = await captured.WaitAsync(timeout, TestContext.Current.CancellationToken);
        return new ProcessResult(exitCode, timedOut, string.Join('\n', stdout), string.Join('\n', stderr));
    }
}
