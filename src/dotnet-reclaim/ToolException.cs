namespace Reclaim.Tool;

/// <summary>
/// An expected failure the user can act on (no such process, a refused command, a bad value): the tool prints its
/// message as one line on standard error, without a stack trace, and exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class ToolException : Exception
{
    /// <summary>Creates an exception for an unexpected error (<see cref="ExitCode.Error"/>).</summary>
    public ToolException()
        : this(ExitCode.Error, "The command failed.")
    {
    }

    /// <summary>Creates an exception with <see cref="ExitCode.Error"/>.</summary>
    /// <param name="message">What went wrong and, where it helps, what to do.</param>
    public ToolException(string message)
        : this(ExitCode.Error, message)
    {
    }

    /// <summary>Creates an exception with <see cref="ExitCode.Error"/> and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ToolException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCode.Error;
    }

    /// <summary>Creates an exception with an exit code.</summary>
    /// <param name="exitCode">The kind of failure.</param>
    /// <param name="message">What went wrong and, where it helps, what to do.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public ToolException(ExitCode exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>The exit code the tool ends with.</summary>
    public ExitCode ExitCode { get; }
}
