using Reclaim.Hosting.Internal;
using Reclaim.Pressure;

namespace Reclaim.Hosting;

/// <summary>
/// Settings of the hosted reclaimer, bound from configuration (the <c>Reclaim</c> section by default) and checked when
/// the host starts: the limit, the watermarks, and which pressure sources it listens to. Every setting but
/// <see cref="Enabled"/> has the meaning and default of the <see cref="ReclaimerOptions"/> property of the same name.
/// </summary>
/// <remarks>
/// <para>
/// The watermarks are fractions of the memory limit and must satisfy
/// <c>0 &lt; TargetWatermark &lt; StartWatermark &lt; DirectWatermark &lt;= 1</c>. A setting out of range stops the host
/// at start with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> whose message names the
/// configuration key, such as <c>Reclaim:StartWatermark (0.95) must be below Reclaim:DirectWatermark (0.90).</c>
/// </para>
/// <para>
/// Durations bind from configuration as <see cref="TimeSpan"/> text (<c>"00:00:00.100"</c> for 100 milliseconds).
/// </para>
/// </remarks>
public sealed class ReclaimOptions
{
    /// <summary>The configuration section <c>AddReclaim()</c> binds.</summary>
    public const string SectionName = "Reclaim";

    /// <summary>
    /// Whether the hosted service starts background reclaim. When <see langword="false"/> everything is still registered
    /// (the registry, the <see cref="Reclaimer"/> for direct reclaim, shrinkers, logging of shrinker failures) but no
    /// background thread, timer or pressure source runs.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether the debug endpoint (<see cref="Diagnostics.ReclaimDiagnosticServer"/>, the debugfs analogue that
    /// <c>dotnet-reclaim</c> talks to) listens while the host runs: a Unix domain socket only the same user or root can
    /// connect to. The environment variable <c>RECLAIM_DIAGNOSTICS</c> (<c>1</c> or <c>0</c>) overrides it.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DiagnosticEndpoint { get; set; }

    /// <summary>Whether the debug endpoint refuses what would change the process (<c>scan</c>, <c>drop-caches</c>, group limits).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DiagnosticEndpointReadOnly { get; set; }

    /// <summary>The limit to live within, in bytes, overriding every detected one; positive when set.</summary>
    /// <value>The default value is <see langword="null"/>: the smallest of the GC heap hard limit, the memory cgroup's limit and physical memory.</value>
    [PositiveSetting]
    public long? MemoryLimitBytes { get; set; }

    /// <summary>The fraction of the limit that background reclaim brings usage back down to.</summary>
    /// <value>The default value is 0.70.</value>
    [FractionSetting]
    public double TargetWatermark { get; set; } = 0.70;

    /// <summary>The fraction of the limit above which background reclaim starts (pressure <see cref="MemoryPressureLevel.Moderate"/>).</summary>
    /// <value>The default value is 0.80.</value>
    [FractionSetting]
    public double StartWatermark { get; set; } = 0.80;

    /// <summary>
    /// The fraction of the limit above which pressure is <see cref="MemoryPressureLevel.Critical"/>: reclaim may induce a
    /// collection to see what it freed.
    /// </summary>
    /// <value>The default value is 0.90.</value>
    [FractionSetting]
    public double DirectWatermark { get; set; } = 0.90;

    /// <summary>How often usage is read and compared with the watermarks; <see cref="TimeSpan.Zero"/> turns sampling off.</summary>
    /// <value>The default value is 100 milliseconds.</value>
    [NonNegativeSetting]
    public TimeSpan SamplingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the limit is resolved again, to follow a limit changed at run time; must be positive.</summary>
    /// <value>The default value is 5 seconds.</value>
    [PositiveSetting]
    public TimeSpan LimitRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a pressure level holds after it rose before it may fall, so a level does not flap around one line.</summary>
    /// <value>The default value is 10 seconds.</value>
    [NonNegativeSetting]
    public TimeSpan LevelCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The shortest time between two collections the reclaimer induces; <see cref="TimeSpan.Zero"/> allows one every run.</summary>
    /// <value>The default value is 2 seconds.</value>
    [NonNegativeSetting]
    public TimeSpan InducedCollectionInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the reclaimer may induce a gen2 collection to see what reclaim freed.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool InduceCollections { get; set; } = true;

    /// <summary>Whether a reading is taken after every gen2 collection (the runtime's own pools' signal).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseGen2CollectionSignal { get; set; } = true;

    /// <summary>Whether the memory cgroup's notifications are watched (v2 <c>memory.events</c>; v1 <c>memory.pressure_level</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseCgroupEvents { get; set; } = true;

    /// <summary>Whether a PSI trigger is set on the cgroup's <c>memory.pressure</c> or <c>/proc/pressure/memory</c>.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UsePressureStallInformation { get; set; } = true;

    /// <summary>
    /// The PSI trigger: <c>some|full &lt;stall µs&gt; &lt;window µs&gt;</c>, the stall positive and at most the window,
    /// the window from 500,000 to 10,000,000 µs (the kernel's bounds). Checked even when
    /// <see cref="UsePressureStallInformation"/> is off, so a typo does not wait for the day it is turned on.
    /// </summary>
    /// <value>The default value is <c>some 150000 1000000</c>: 150 ms stalled in any 1 s window.</value>
    [PressureStallTriggerSetting]
    public string PressureStallTrigger { get; set; } = "some 150000 1000000";

    /// <summary>
    /// The configuration path these options were bound from, for validation messages (<c>Reclaim</c>, or the path of the
    /// section given to <c>AddReclaim(configuration)</c>; empty for a configuration root). Not bound.
    /// </summary>
    internal string ConfigurationPath { get; set; } = SectionName;

    /// <summary>Maps these settings to the <see cref="ReclaimerOptions"/> a <see cref="Reclaimer"/> is made with.</summary>
    /// <param name="timeProvider">The clock for sampling, cooldowns and rate limits; null for <see cref="TimeProvider.System"/>.</param>
    /// <returns>New reclaimer options with the same settings (<see cref="Enabled"/> has no counterpart: it decides whether the host starts the reclaimer).</returns>
    public ReclaimerOptions ToReclaimerOptions(TimeProvider? timeProvider = null) => new()
    {
        MemoryLimitBytes = MemoryLimitBytes,
        TargetWatermark = TargetWatermark,
        StartWatermark = StartWatermark,
        DirectWatermark = DirectWatermark,
        SamplingInterval = SamplingInterval,
        LimitRefreshInterval = LimitRefreshInterval,
        LevelCooldown = LevelCooldown,
        InducedCollectionInterval = InducedCollectionInterval,
        InduceCollections = InduceCollections,
        UseGen2CollectionSignal = UseGen2CollectionSignal,
        UseCgroupEvents = UseCgroupEvents,
        UsePressureStallInformation = UsePressureStallInformation,
        PressureStallTrigger = PressureStallTrigger,
        TimeProvider = timeProvider ?? TimeProvider.System,
    };

    /// <summary>The configuration key of <paramref name="setting"/>, such as <c>Reclaim:StartWatermark</c>.</summary>
    internal string KeyOf(string setting) => ConfigurationPath.Length == 0 ? setting : $"{ConfigurationPath}:{setting}";
}
