using Microsoft.Coyote.Specifications;
using Reclaim.Pressure;
using Reclaim.SystematicTests.Infrastructure;

namespace Reclaim.SystematicTests;

/// <summary>
/// The reclaimer's pending-signal protocol: sources record signals from any thread (time by CAS from 0, level raised by
/// CAS, never lowered) and the reclaimer's thread takes them (level by exchange, then time by exchange). Checked: no
/// signalled level is lost (each is taken by some step, or is still pending at the end), a lower signal never hides a
/// higher one, and a step that takes a level gets a time no later than its own.
/// </summary>
public class SignalProtocolTests
{
    private const uint Iterations = 1_000;

    [Fact]
    public void Signals_RacingSteps_NoLevelIsLostOrLowered()
    {
        CoyoteTest.Run(async () =>
        {
            using var reclaimer = new Reclaimer(new ShrinkerRegistry(), Quiet(), new SteadyReader());
            var taken = new List<MemoryPressureLevel>();

            Task critical = Task.Run(() => reclaimer.Signal(MemoryPressureLevel.Critical));
            Task moderate = Task.Run(() => reclaimer.Signal(MemoryPressureLevel.Moderate));
            Task steps = Task.Run(() =>
            {
                for (int i = 0; i < 2; i++)
                {
                    (MemoryPressureLevel? level, _, long since) = reclaimer.TakePendingForTest();
                    if (level is { } l)
                    {
                        Specification.Assert(since != 0, "a step that takes a level also takes a time");
                        taken.Add(l);
                    }
                }
            });
            await Tasks.All(critical, moderate, steps);

            (MemoryPressureLevel? last, _, _) = reclaimer.TakePendingForTest();
            if (last is { } rest)
            {
                taken.Add(rest);
            }

            Specification.Assert(taken.Contains(MemoryPressureLevel.Critical), $"the critical signal was lost: taken [{string.Join(", ", taken)}]");
            (MemoryPressureLevel? none, _, _) = reclaimer.TakePendingForTest();
            Specification.Assert(none is null, "nothing is pending after everything was taken");
        }, Iterations);
    }

    private static ReclaimerOptions Quiet() => new()
    {
        SamplingInterval = TimeSpan.Zero,
        UseGen2CollectionSignal = false,
        UseCgroupEvents = false,
        UsePressureStallInformation = false,
    };

    private sealed class SteadyReader : IMemoryReader
    {
        public int CollectionCount => 0;

        public int Gen2CollectionCount => 0;

        public MemoryLimit ResolveLimit(long? explicitBytes) => new(1L << 30, MemoryLimitSource.Explicit);

        public long ReadManagedHeap() => 1L << 20;

        public long ReadCgroupUsage() => -1;

        public long ReadWorkingSet() => 1L << 20;

        public void InduceCollection()
        {
        }
    }
}
