using Reclaim.Pressure;

namespace Reclaim;

/// <summary>One background reclaim run: why it ran, what it aimed at, what it freed, and how long it took.</summary>
/// <param name="Trigger">The source that woke the reclaimer (<c>sampling</c>, <c>gen2-gc</c>, <c>psi</c>, <c>cgroup</c>, <c>manual</c>, ...).</param>
/// <param name="Level">The pressure level the run worked at.</param>
/// <param name="UsageBytes">The usage reading that started it.</param>
/// <param name="LimitBytes">The limit at the time.</param>
/// <param name="TargetBytes">The bytes it set out to free (usage down to the target watermark).</param>
/// <param name="Result">What it freed.</param>
/// <param name="InducedCollection">Whether it induced a gen2 collection to see what it freed.</param>
/// <param name="ReactionTime">
/// From the signal to the first shrinker pass; for a sampled run, from the reading that saw the excess. The reclaimer
/// cannot know when, between two readings, usage crossed the line: add up to <see cref="ReclaimerOptions.SamplingInterval"/>
/// for that (bench/README.md measures both).
/// </param>
/// <param name="Duration">From the first pass to the end of the run.</param>
public readonly record struct ReclaimRun(
    string Trigger,
    MemoryPressureLevel Level,
    long UsageBytes,
    long LimitBytes,
    long TargetBytes,
    ReclaimResult Result,
    bool InducedCollection,
    TimeSpan ReactionTime,
    TimeSpan Duration);
