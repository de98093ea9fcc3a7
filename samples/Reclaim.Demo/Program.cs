using System.CommandLine;

namespace Reclaim.Demo;

/// <summary>
/// <c>dotnet run --project samples/Reclaim.Demo -c Release</c>: the demo (<see cref="DemoRun"/>) starts this same program
/// again as its workload (<see cref="WorkerProcess"/>, the hidden <c>--worker</c> mode) under a memory limit, and shows
/// whether a cache service stays alive and fast inside it with nothing tuned by hand.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var commandLine = new DemoCommandLine();
        commandLine.Root.SetAction((parse, cancellationToken) =>
        {
            DemoOptions options = commandLine.Read(parse);
            return options.Worker
                ? Task.FromResult(WorkerProcess.Run(options, cancellationToken))
                : DemoRun.RunAsync(options, cancellationToken);
        });

        ParseResult parse = commandLine.Parse(args);
        if (DemoCommandLine.Error(parse) is { } error)
        {
            await Console.Error.WriteLineAsync($"Reclaim.Demo: {error}").ConfigureAwait(false);
            return ExitCodes.BadArguments;
        }

        // Ctrl+C (or SIGTERM) cancels the token the action gets: the demo stops its workload, puts the terminal back
        // and prints what it has; only if that took longer than this would the process be ended anyway.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) };
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }
}
