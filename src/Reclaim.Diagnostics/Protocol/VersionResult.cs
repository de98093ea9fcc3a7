namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>version</c>.</summary>
public sealed class VersionResult
{
    /// <summary>The protocol version of this answer.</summary>
    public int Protocol { get; init; }

    /// <summary>Every protocol version the server speaks.</summary>
    public IReadOnlyList<int> Protocols { get; init; } = [];

    /// <summary>The version of the server's Reclaim.Diagnostics package.</summary>
    public string Package { get; init; } = string.Empty;

    /// <summary>The runtime (<see cref="System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription"/>).</summary>
    public string Runtime { get; init; } = string.Empty;

    /// <summary>The server's process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>The server's process name.</summary>
    public string ProcessName { get; init; } = string.Empty;

    /// <summary>Whether the server refuses the commands that change something.</summary>
    public bool ReadOnly { get; init; }
}
