using System.CommandLine;

namespace Reclaim.PressureBench;

/// <summary>
/// The end-to-end pressure benchmark: <c>dotnet run -c Release --project bench/Reclaim.PressureBench -- [options]</c>.
/// Progress on stderr; the report's and charts' paths on stdout. Exit codes: 0 done (or skipped, with the reason on
/// stderr), 1 failed, 2 bad command line.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var command = new BenchCommand();
        command.Root.SetAction((parse, cancellationToken) => RunAsync(command.Read(parse), args, cancellationToken));
        ParseResult parse = command.Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"Reclaim.PressureBench: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("See --help.").ConfigureAwait(false);
            return 2;
        }

        // Runs the action above, or --help; Ctrl+C cancels the token.
        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(BenchOptions options, string[] args, CancellationToken cancellationToken)
    {
        string commandLine = "dotnet run -c Release --project bench/Reclaim.PressureBench --" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
        try
        {
            BenchReport report = await new BenchRunner(options, Console.Error, commandLine).RunAsync(cancellationToken).ConfigureAwait(false);
            if (report.SkippedBecause is { } reason)
            {
                await Console.Error.WriteLineAsync($"Skipped: {reason}").ConfigureAwait(false);
                return 0;
            }

            Console.WriteLine(report.ReportPath);
            foreach (string chart in report.ChartPaths)
            {
                Console.WriteLine(chart);
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted.").ConfigureAwait(false);
            return 1;
        }
        catch (Exception exception) when (exception is FileNotFoundException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync(exception.Message).ConfigureAwait(false);
            return 1;
        }
    }
}
