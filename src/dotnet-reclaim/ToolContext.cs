using Spectre.Console;

namespace Reclaim.Tool;

/// <summary>
/// Where a command writes and what it may depend on: the console seam (after dotnet-counters' <c>IConsole</c>) that
/// lets the tests run every handler in-process and read exactly what a user would see.
/// </summary>
internal sealed class ToolContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="console">Standard output as a Spectre console (tables, the live view).</param>
    /// <param name="error">Standard error: the one-line error messages.</param>
    /// <param name="endpointDirectory">Where to look for endpoints; <see langword="null"/> for the temporary directory, where servers listen by default.</param>
    /// <param name="timeProvider">The clock of <c>top</c>; <see langword="null"/> for the system clock.</param>
    public ToolContext(IAnsiConsole console, TextWriter error, string? endpointDirectory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(error);
        Console = console;
        Error = error;
        EndpointDirectory = endpointDirectory;
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Standard output as a Spectre console: tables, trees and the live view go here.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>
    /// Standard output as plain text, under the console: JSON and the kernel's <c>count</c> lines go here unwrapped and
    /// unstyled, whatever the console's width.
    /// </summary>
    public TextWriter Out => Console.Profile.Out.Writer;

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Where to look for endpoints; <see langword="null"/> for the temporary directory (<c>$TMPDIR</c>, else <c>/tmp</c>).</summary>
    public string? EndpointDirectory { get; }

    /// <summary>The clock: the refresh interval and the rates of <c>top</c>.</summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// Whether Ctrl+C and SIGTERM cancel the running command (the real process); off in tests, which must not take
    /// over the test host's signals.
    /// </summary>
    public bool HandleTermination { get; init; }

    /// <summary>The directory searched for endpoints, for messages.</summary>
    public string EndpointDirectoryForDisplay => Path.TrimEndingDirectorySeparator(EndpointDirectory ?? Path.GetTempPath());

    /// <summary>The process's own console: standard output and error, signals handled.</summary>
    /// <returns>The context.</returns>
    public static ToolContext CreateDefault()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings());
        if (!console.Profile.Out.IsTerminal)
        {
            // Piped or redirected: there is no window to fit, so do not squeeze tables into 80 columns.
            console.Profile.Width = 200;
        }

        return new ToolContext(console, System.Console.Error) { HandleTermination = true };
    }

    /// <summary>Writes one line on standard error: <c>dotnet-reclaim: message</c>.</summary>
    /// <param name="message">What went wrong; line breaks, tabs and runs of spaces become one space, so it is one line.</param>
    public void ReportError(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string line = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Error.WriteLine($"dotnet-reclaim: {line}");
    }
}
