namespace Reclaim.Pressure;

/// <summary>How close the process is to its memory limit: graded, as Chromium's and Apple's pressure levels are.</summary>
public enum MemoryPressureLevel
{
    /// <summary>Below the start watermark (or back below the target after pressure).</summary>
    None,

    /// <summary>At or above the start watermark: background reclaim runs.</summary>
    Moderate,

    /// <summary>At or above the direct watermark: reclaim runs hard, callers about to allocate should reclaim first.</summary>
    Critical,
}
