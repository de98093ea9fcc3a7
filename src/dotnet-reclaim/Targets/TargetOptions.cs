namespace Reclaim.Tool.Targets;

/// <summary>
/// Which process to talk to, as dotnet-counters chooses: by id, by name, or the only one there is; or an endpoint
/// address given outright.
/// </summary>
/// <param name="ProcessId">The process id (<c>--process-id</c>, <c>-p</c>), or <see langword="null"/>.</param>
/// <param name="Name">The process name (<c>--name</c>, <c>-n</c>), or <see langword="null"/>.</param>
/// <param name="Endpoint">A socket path or pipe name (<c>--endpoint</c>), or <see langword="null"/>.</param>
internal sealed record TargetOptions(int? ProcessId = null, string? Name = null, string? Endpoint = null)
{
    /// <summary>No choice made: the only process with an endpoint.</summary>
    public static TargetOptions Any { get; } = new();
}
