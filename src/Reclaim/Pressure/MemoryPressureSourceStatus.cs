namespace Reclaim.Pressure;

/// <summary>Whether a pressure source is watching, and if not, why.</summary>
/// <param name="Name">The source's name.</param>
/// <param name="IsActive">Whether it started.</param>
/// <param name="UnsupportedReason">Why it did not start (null when active).</param>
public readonly record struct MemoryPressureSourceStatus(string Name, bool IsActive, string? UnsupportedReason);
