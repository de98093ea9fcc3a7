namespace Reclaim;

/// <summary>What one reclaim freed.</summary>
/// <param name="BytesFreed">Charged bytes given back: what the shrinkers' scans uncharged during this reclaim.</param>
/// <param name="ObjectsFreed">Objects the shrinkers reported freed, charged or not.</param>
/// <param name="LowestPriority">The hardest priority reached (12 gentlest, 0 hardest); -1 when no pass ran.</param>
/// <param name="TargetMet">Whether the bytes asked for were given back.</param>
public readonly record struct ReclaimResult(long BytesFreed, long ObjectsFreed, int LowestPriority, bool TargetMet);
