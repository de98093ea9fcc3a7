using Reclaim.Pressure;

namespace Reclaim;

/// <summary>Settings of a <see cref="Reclaimer"/>: the limit, the watermarks, and which pressure sources it listens to.</summary>
/// <remarks>
/// The watermarks are fractions of the memory limit and must satisfy
/// <c>0 &lt; TargetWatermark &lt; StartWatermark &lt; DirectWatermark &lt;= 1</c>; the reclaimer checks them when it is
/// created and names the setting that breaks the order.
/// </remarks>
public sealed class ReclaimerOptions
{
    /// <summary>The limit to live within, in bytes, overriding every detected one.</summary>
    /// <value>The default value is <see langword="null"/>: the smallest of the GC heap hard limit, the memory cgroup's limit and physical memory.</value>
    public long? MemoryLimitBytes { get; set; }

    /// <summary>The fraction of the limit that background reclaim brings usage back down to.</summary>
    /// <value>The default value is 0.70.</value>
    public double TargetWatermark { get; set; } = 0.70;

    /// <summary>The fraction of the limit above which background reclaim starts (pressure <see cref="MemoryPressureLevel.Moderate"/>).</summary>
    /// <value>The default value is 0.80.</value>
    public double StartWatermark { get; set; } = 0.80;

    /// <summary>
    /// The fraction of the limit above which pressure is <see cref="MemoryPressureLevel.Critical"/>: reclaim may induce a
    /// collection to see what it freed, and callers about to allocate a lot should reclaim first.
    /// </summary>
    /// <value>The default value is 0.90.</value>
    public double DirectWatermark { get; set; } = 0.90;

    /// <summary>How often usage is read and compared with the watermarks; <see cref="TimeSpan.Zero"/> turns sampling off.</summary>
    /// <value>The default value is 100 milliseconds (a reading of the managed heap costs well under a microsecond).</value>
    public TimeSpan SamplingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the limit is resolved again, to follow a limit changed at run time.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan LimitRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a pressure level holds after it rose before it may fall, so a level does not flap around one line.</summary>
    /// <value>The default value is 10 seconds (as Chromium's memory pressure monitor).</value>
    public TimeSpan LevelCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The shortest time between two collections the reclaimer induces; <see cref="TimeSpan.Zero"/> allows one every run.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan InducedCollectionInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the reclaimer may induce a gen2 collection to see what reclaim freed (see <see cref="Reclaimer"/>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool InduceCollections { get; set; } = true;

    /// <summary>Whether a reading is taken after every gen2 collection (the runtime's own pools' signal).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseGen2CollectionSignal { get; set; } = true;

    /// <summary>Whether the memory cgroup's notifications are watched (v2 <c>memory.events</c>; v1 <c>memory.pressure_level</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseCgroupEvents { get; set; } = true;

    /// <summary>Whether a PSI trigger is set on the cgroup's <c>memory.pressure</c> or <c>/proc/pressure/memory</c> (or systemd's <c>$MEMORY_PRESSURE_WATCH</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UsePressureStallInformation { get; set; } = true;

    /// <summary>The PSI trigger: <c>some|full &lt;stall µs&gt; &lt;window µs&gt;</c>.</summary>
    /// <value>The default value is <c>some 150000 1000000</c>: 150 ms stalled in any 1 s window.</value>
    public string PressureStallTrigger { get; set; } = "some 150000 1000000";

    /// <summary>More sources to listen to, started and disposed with the reclaimer.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<IMemoryPressureSource> Sources { get; } = [];

    /// <summary>The clock for sampling, cooldowns and rate limits; tests use a fake one.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
