namespace Reclaim.Pressure;

/// <summary>What a pressure source saw.</summary>
/// <param name="Source">The source's <see cref="IMemoryPressureSource.Name"/>.</param>
/// <param name="Level">
/// <see cref="MemoryPressureLevel.None"/> when the source only says "measure now" (a collection happened, a file
/// changed); <see cref="MemoryPressureLevel.Moderate"/> or <see cref="MemoryPressureLevel.Critical"/> when it knows
/// memory is short even if the usage reading does not show it yet (a PSI stall, a cgroup at its high or max line): the
/// reclaimer then reclaims as if usage stood at least at that level's watermark.
/// </param>
public readonly record struct MemoryPressureSignal(string Source, MemoryPressureLevel Level);
