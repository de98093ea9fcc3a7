using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Tool.Top;

/// <summary>One reading of the process: <c>stat</c>, <c>list</c>, and each shrinker's <c>count</c> summed.</summary>
/// <param name="Stat">The answer to <c>stat</c>.</param>
/// <param name="Shrinkers">Each listed shrinker with its objects.</param>
/// <param name="Timestamp">When it was read (<see cref="TimeProvider.GetTimestamp"/>), for the rates.</param>
internal sealed record TopSnapshot(StatResult Stat, IReadOnlyList<TopShrinker> Shrinkers, long Timestamp);

/// <summary>A shrinker in a <see cref="TopSnapshot"/>.</summary>
/// <param name="Info">What <c>list</c> said about it.</param>
/// <param name="Objects">Its objects over every group and node, or <see langword="null"/> when it was freed between <c>list</c> and <c>count</c>.</param>
internal sealed record TopShrinker(ShrinkerInfo Info, long? Objects);
