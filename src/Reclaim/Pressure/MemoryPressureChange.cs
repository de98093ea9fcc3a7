namespace Reclaim.Pressure;

/// <summary>A change of pressure level.</summary>
/// <param name="Previous">The level before.</param>
/// <param name="Current">The level now.</param>
/// <param name="UsageBytes">The usage reading that moved it.</param>
/// <param name="LimitBytes">The limit at the time.</param>
public readonly record struct MemoryPressureChange(MemoryPressureLevel Previous, MemoryPressureLevel Current, long UsageBytes, long LimitBytes);
