namespace Reclaim.Demo;

/// <summary>How a run of the workload ended.</summary>
internal enum Outcome
{
    /// <summary>It ran its whole duration.</summary>
    Survived,

    /// <summary>It died of an <see cref="OutOfMemoryException"/> (or the runtime failed for lack of memory).</summary>
    OutOfMemory,

    /// <summary>The kernel's OOM killer killed it (a cgroup limit).</summary>
    KilledByOomKiller,

    /// <summary>It failed some other way.</summary>
    Crashed,

    /// <summary>It did not end in time and was killed.</summary>
    TimedOut,

    /// <summary>Ctrl+C.</summary>
    Interrupted,
}

/// <summary>What the parent knows of the workload so far: its reports, the rates between them, and the cgroup's readings.</summary>
internal sealed class RunState
{
    private readonly Queue<(double Seconds, long Requests)> _recent = new();

    public RunState(DemoOptions options, string limitDescription)
    {
        Options = options;
        LimitDescription = limitDescription;
    }

    public DemoOptions Options { get; }

    /// <summary>How the limit was set, for people: <c>GC heap hard limit</c>, <c>cgroup v1 limit (memory.limit_in_bytes)</c>.</summary>
    public string LimitDescription { get; }

    public StartReport? Start { get; private set; }

    /// <summary>The latest snapshot, or null before the first.</summary>
    public Snapshot? Latest { get; private set; }

    public FailureReport? Failure { get; private set; }

    /// <summary>Requests per second over about the last second; 0 until there are two snapshots.</summary>
    public double RequestsPerSecond { get; private set; }

    /// <summary>The cgroup's usage as of the latest snapshot, with <c>--cgroup</c>; else null.</summary>
    public long? CgroupUsageBytes { get; set; }

    /// <summary>The cgroup's limit, with <c>--cgroup</c>; else null.</summary>
    public long? CgroupLimitBytes { get; set; }

    /// <summary>The cgroup's peak usage and OOM kills, read after the workload exited, with <c>--cgroup</c>.</summary>
    public (long PeakBytes, long OomKills)? CgroupEnd { get; set; }

    public void Apply(WorkerReport report)
    {
        switch (report)
        {
            case StartReport start:
                Start = start;
                break;
            case Snapshot snapshot:
                Latest = snapshot;
                _recent.Enqueue((snapshot.Seconds, snapshot.Requests));
                while (_recent.Count > 2 && snapshot.Seconds - _recent.Peek().Seconds > 1.0)
                {
                    _recent.Dequeue();
                }

                (double seconds, long requests) = _recent.Peek();
                RequestsPerSecond = snapshot.Seconds > seconds ? (snapshot.Requests - requests) / (snapshot.Seconds - seconds) : 0;
                break;
            case FailureReport failure:
                Failure = failure;
                break;
        }
    }

    /// <summary>
    /// How the run ended, from what the workload reported and its exit code: a final snapshot and 0 is survival; a failure
    /// report says what killed it; a SIGKILL in a cgroup whose OOM killer struck is the kernel's doing; a runtime that
    /// failed fast (no report) for lack of memory says so on standard error.
    /// </summary>
    public Outcome Classify(int exitCode, IReadOnlyList<string> outputTail)
    {
        if (Failure is { } failure)
        {
            return failure.Reason == nameof(OutOfMemoryException) ? Outcome.OutOfMemory : Outcome.Crashed;
        }

        if (exitCode == 0 && Latest is { Final: true })
        {
            return Outcome.Survived;
        }

        if (exitCode == 128 + 9 && CgroupEnd is { OomKills: > 0 })
        {
            return Outcome.KilledByOomKiller;
        }

        return outputTail.Any(line => line.Contains("OutOfMemory", StringComparison.Ordinal) || line.Contains("Out of memory", StringComparison.OrdinalIgnoreCase))
            ? Outcome.OutOfMemory
            : Outcome.Crashed;
    }
}
