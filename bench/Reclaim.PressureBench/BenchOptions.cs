using Reclaim.Units;

namespace Reclaim.PressureBench;

/// <summary>Which phases to run.</summary>
internal enum PhaseChoice
{
    Steady,
    Lowered,
    Both,
}

/// <summary>The benchmark's settings, validated (see <see cref="BenchCommand"/> for the command line).</summary>
internal sealed record BenchOptions
{
    public static readonly IReadOnlyList<double> DefaultSizeFractions = [0.20, 0.35, 0.50, 0.65];

    /// <summary>The memory limit every peer runs under: a GC heap hard limit, or with <see cref="Cgroup"/> a cgroup's.</summary>
    public long Limit { get; init; } = 512 * ByteSize.MiB;

    /// <summary>Seconds per run.</summary>
    public double Seconds { get; init; } = 30;

    /// <summary>The peers to run, in the benchmark's order.</summary>
    public IReadOnlyList<Peer> Peers { get; init; } = Peer.All;

    /// <summary>The size limits of <c>memorycache-sized</c>, as fractions of <see cref="Limit"/>.</summary>
    public IReadOnlyList<double> SizeFractions { get; init; } = DefaultSizeFractions;

    /// <summary>Run each peer in a child memory cgroup with <see cref="Limit"/> (and no heap hard limit of its own).</summary>
    public bool Cgroup { get; init; }

    /// <summary>Which phases run.</summary>
    public PhaseChoice PhaseSelection { get; init; } = PhaseChoice.Steady;

    /// <summary>Runs per peer and phase.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Where the report and charts go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("bench", "results");

    /// <summary>The workload's worker threads.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>The workload's key space.</summary>
    public long Keys { get; init; } = 2_000_000;

    /// <summary>The workload's seed.</summary>
    public int Seed { get; init; } = 12345;

    /// <summary>Microseconds each miss spins (the workload's <c>--load-us</c>), 0 for none.</summary>
    public int LoadMicroseconds { get; init; }

    /// <summary>The workload's dll.</summary>
    public string WorkloadDll { get; init; } = WorkloadHost.DefaultWorkloadDll;

    /// <summary>A line for the report's machine section, or null.</summary>
    public string? Note { get; init; }

    /// <summary>The date in the report's file name (and heading).</summary>
    public DateTime Date { get; init; } = TimeProvider.System.GetLocalNow().DateTime;

    /// <summary>The phases to run, in order.</summary>
    public IReadOnlyList<Phase> Phases => PhaseSelection switch
    {
        PhaseChoice.Steady => [Phase.Steady],
        PhaseChoice.Lowered => [Phase.Lowered],
        _ => [Phase.Steady, Phase.Lowered],
    };

    /// <summary>The limit after the drop of the lowered phase: two thirds of <see cref="Limit"/>.</summary>
    public long LoweredLimit => Limit * 2 / 3;

    /// <summary>When the lowered phase drops the limit: half time.</summary>
    public double LowerAt => Seconds / 2;

    /// <summary>Every run, in order: per phase, per peer (sized peers once per size), per repeat.</summary>
    public IReadOnlyList<RunSpec> Plan()
    {
        var plan = new List<RunSpec>();
        foreach (Phase phase in Phases)
        {
            foreach (Peer peer in Peers)
            {
                IEnumerable<double?> sizes = peer.TakesSizeLimit ? SizeFractions.Select(f => (double?)f) : [null];
                foreach (double? fraction in sizes)
                {
                    for (int repeat = 1; repeat <= Repeat; repeat++)
                    {
                        plan.Add(new RunSpec(peer, phase, fraction, fraction is { } f ? (long)(f * Limit) : null, repeat));
                    }
                }
            }
        }

        return plan;
    }
}
