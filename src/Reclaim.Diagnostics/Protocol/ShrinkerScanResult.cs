namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>scan</c>: what one direct scan call did.</summary>
public sealed class ShrinkerScanResult
{
    /// <summary>The shrinker's debug name, <c>name-id</c>.</summary>
    public string Shrinker { get; init; } = string.Empty;

    /// <summary>The group id asked for (0 for a shrinker that is not group-aware).</summary>
    public long Group { get; init; }

    /// <summary>The node asked for.</summary>
    public int Node { get; init; }

    /// <summary>The objects asked for; 0 means nothing was called.</summary>
    public long NrToScan { get; init; }

    /// <summary>The objects the callback reported freeing (0 when it answered stop).</summary>
    public long Freed { get; init; }

    /// <summary>The objects the callback reported looking at (<see cref="ShrinkControl.NrScanned"/> after the call).</summary>
    public long NrScanned { get; init; }

    /// <summary>Whether the callback answered <see cref="Shrinker.Stop"/> (or threw, or answered outside the contract).</summary>
    public bool Stopped { get; init; }

    /// <summary>When the callback threw: the exception's type and message (it was caught and counted); else <see langword="null"/>.</summary>
    public string? CallbackError { get; init; }
}
