namespace Reclaim.Tool.Top;

/// <summary>One line of <c>top</c>'s table.</summary>
/// <param name="Shrinker">The debug name, <c>name-id</c>.</param>
/// <param name="Flags">The flags as words (<c>node,group</c>, or <c>-</c>).</param>
/// <param name="Objects">Objects now, or <see langword="null"/> when unknown.</param>
/// <param name="FreedPerSecond">Objects freed per second since the previous refresh, or <see langword="null"/> on the first.</param>
/// <param name="Freed">Objects freed in all.</param>
/// <param name="Deferred">Deferred work carried forward.</param>
/// <param name="Errors">Callbacks that threw plus answers outside the contract.</param>
/// <param name="CallbackTimeMs">Time in the callbacks in all, in milliseconds.</param>
/// <param name="RunningForMs">While a callback runs: for how long, in milliseconds; else <see langword="null"/>.</param>
internal sealed record TopRow(
    string Shrinker,
    string Flags,
    long? Objects,
    double? FreedPerSecond,
    long Freed,
    long Deferred,
    long Errors,
    long CallbackTimeMs,
    long? RunningForMs);
