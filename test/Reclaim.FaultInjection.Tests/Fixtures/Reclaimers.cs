namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>Reclaimer settings for the tests: no platform sources, no induced collections.</summary>
internal static class Reclaimers
{
    /// <summary>A limit the test process's heap is always far above, even right after a full compacting collection.</summary>
    public const long TinyLimit = 1 << 12;

    /// <summary>Background reclaim that runs on every reading: a <see cref="TinyLimit"/>, sampled every 20 ms.</summary>
    public static ReclaimerOptions AlwaysReclaiming() => new()
    {
        MemoryLimitBytes = TinyLimit,
        SamplingInterval = TimeSpan.FromMilliseconds(20),
        UseGen2CollectionSignal = false,
        UseCgroupEvents = false,
        UsePressureStallInformation = false,
        InduceCollections = false,
    };

    /// <summary>Direct reclaim only: a limit nothing reaches, no sampling, no sources.</summary>
    public static ReclaimerOptions DirectOnly() => new()
    {
        MemoryLimitBytes = 1L << 50,
        SamplingInterval = TimeSpan.Zero,
        UseGen2CollectionSignal = false,
        UseCgroupEvents = false,
        UsePressureStallInformation = false,
        InduceCollections = false,
    };
}
