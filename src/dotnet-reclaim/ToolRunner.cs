using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Reclaim.Diagnostics;

namespace Reclaim.Tool;

/// <summary>
/// Runs a command line: parses it against <see cref="Program.BuildCommandTree"/>, reports a bad command line as one
/// line with <see cref="ExitCode.UsageError"/>, and runs the chosen handler, turning the failures users can act on into
/// one line on standard error and an exit code.
/// </summary>
internal static class ToolRunner
{
    /// <summary>How long a command may take to stop after Ctrl+C before the process ends anyway.</summary>
    private static readonly TimeSpan s_terminationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Parses and runs <paramref name="args"/>.</summary>
    /// <param name="args">The command line, without the tool's name.</param>
    /// <param name="context">Where to write.</param>
    /// <param name="cancellationToken">Stops the command (as Ctrl+C does).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> InvokeAsync(string[] args, ToolContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        RootCommand root = Program.BuildCommandTree(context);
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            ReportUsageError(context, parse);
            return (int)ExitCode.UsageError;
        }

        var configuration = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            ProcessTerminationTimeout = context.HandleTermination ? s_terminationTimeout : null,
        };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one handler: its exit code, or the exit code of what it threw, reported as one line.</summary>
    /// <param name="context">Where to report.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(ToolContext context, Func<CancellationToken, Task<ExitCode>> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        try
        {
            return (int)await handler(cancellationToken).ConfigureAwait(false);
        }
        catch (ToolException ex)
        {
            context.ReportError(ex.Message);
            return (int)ex.ExitCode;
        }
        catch (ReclaimDiagnosticException ex)
        {
            ToolException failure = DiagnosticFailures.From(ex);
            context.ReportError(failure.Message);
            return (int)failure.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.ReportError("Interrupted.");
            return (int)ExitCode.Cancelled;
        }
#pragma warning disable CA1031 // Anything else is a bug in the tool: say so with the stack trace, and exit with Error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context.Error.WriteLine($"dotnet-reclaim: unexpected error (a bug in the tool; please report it): {ex}");
            return (int)ExitCode.Error;
        }
    }

    /// <summary>The first parse error as one line, with where to find the usage.</summary>
    private static void ReportUsageError(ToolContext context, ParseResult parse)
    {
        // An unknown word is the likeliest mistake and the most useful thing to name, ahead of what it left missing.
        string message = parse.UnmatchedTokens.Count > 0 ? $"Unrecognized command or argument '{parse.UnmatchedTokens[0]}'"
            : parse.Errors.Count > 0 ? parse.Errors[0].Message
            : "The command line is not valid";
        string command = string.Join(' ', CommandPath(parse.CommandResult));
        context.ReportError($"{message.TrimEnd('.')}. See '{command} --help'.");
    }

    private static Stack<string> CommandPath(CommandResult? result)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Push(c.Parent is null ? "dotnet-reclaim" : c.Command.Name);
            }
        }

        return names;
    }
}
