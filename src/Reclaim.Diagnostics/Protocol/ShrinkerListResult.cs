namespace Reclaim.Diagnostics.Protocol;

/// <summary>The answer to <c>list</c>: every registered shrinker.</summary>
public sealed class ShrinkerListResult
{
    /// <summary>How many nodes the registry distinguishes (<see cref="ShrinkerRegistry.NodeCount"/>).</summary>
    public int NodeCount { get; init; }

    /// <summary>The registered shrinkers, in registration order.</summary>
    public IReadOnlyList<ShrinkerInfo> Shrinkers { get; init; } = [];
}

/// <summary>One shrinker in the answer to <c>list</c>.</summary>
public sealed class ShrinkerInfo
{
    /// <summary>The debug name, <c>name-id</c>, that <c>count</c> and <c>scan</c> take (the kernel's debugfs directory name).</summary>
    public string Shrinker { get; init; } = string.Empty;

    /// <summary>The name (<see cref="Reclaim.Shrinker.Name"/>).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The debug id (<see cref="Reclaim.Shrinker.DebugId"/>).</summary>
    public int Id { get; init; }

    /// <summary>The flags: <c>node_aware</c> and <c>group_aware</c> when set, else empty.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary><c>registered</c>, or <c>freeing</c> while <see cref="Reclaim.Shrinker.Free"/> waits for calls in flight.</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The cost of re-creating an object (<see cref="Reclaim.Shrinker.Seeks"/>).</summary>
    public int Seeks { get; init; }

    /// <summary>Objects per scan call as set (<see cref="Reclaim.Shrinker.Batch"/>; 0 means the default, 128).</summary>
    public int Batch { get; init; }

    /// <summary>The statistics (<see cref="Reclaim.Shrinker.GetStatistics"/>).</summary>
    public ShrinkerStatisticsInfo Statistics { get; init; } = new();
}

/// <summary>A shrinker's statistics on the wire (<see cref="ShrinkerStatistics"/>, times in milliseconds).</summary>
public sealed class ShrinkerStatisticsInfo
{
    /// <summary>How many times a pass ran the shrinker.</summary>
    public long Passes { get; init; }

    /// <summary>Objects the shrinker reported looking at.</summary>
    public long ObjectsScanned { get; init; }

    /// <summary>Objects the scan callback reported freeing.</summary>
    public long ObjectsFreed { get; init; }

    /// <summary>Callback calls that threw.</summary>
    public long CallbackErrors { get; init; }

    /// <summary>Callback answers outside the contract.</summary>
    public long ContractViolations { get; init; }

    /// <summary>Deferred work carried forward, summed over nodes and groups.</summary>
    public long Deferred { get; init; }

    /// <summary>Time spent inside the callbacks, in milliseconds.</summary>
    public long TimeInCallbacksMs { get; init; }

    /// <summary>How many calls are inside the callbacks now.</summary>
    public int RunningCallbacks { get; init; }

    /// <summary>While calls are running: for how long without a break, in milliseconds (a large value is a stuck callback); else <see langword="null"/>.</summary>
    public long? RunningForMs { get; init; }
}
