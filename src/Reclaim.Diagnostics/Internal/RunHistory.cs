using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// The last reclaim runs, kept by listening to <see cref="Reclaimer.RunCompleted"/> (raised on the reclaimer's thread;
/// the handler only stores under a lock). A ring of fixed size: old runs fall off.
/// </summary>
internal sealed class RunHistory : IDisposable
{
    private readonly Reclaimer _reclaimer;
    private readonly TimeProvider _time;
    private readonly ReclaimRunInfo?[] _ring;
    private readonly object _gate = new();
    private long _count;

    public RunHistory(Reclaimer reclaimer, int capacity, TimeProvider time)
    {
        _reclaimer = reclaimer;
        _time = time;
        _ring = new ReclaimRunInfo?[capacity];
        if (reclaimer.LastRun is { } last)
        {
            Add(last, null);
        }

        reclaimer.RunCompleted += OnRunCompleted;
    }

    /// <summary>The runs kept, oldest first.</summary>
    public IReadOnlyList<ReclaimRunInfo> Snapshot()
    {
        lock (_gate)
        {
            int kept = (int)Math.Min(_count, _ring.Length);
            var runs = new List<ReclaimRunInfo>(kept);
            for (long i = _count - kept; i < _count; i++)
            {
                runs.Add(_ring[i % _ring.Length]!);
            }

            return runs;
        }
    }

    public void Dispose() => _reclaimer.RunCompleted -= OnRunCompleted;

    private void OnRunCompleted(object? sender, ReclaimRun run) => Add(run, _time.GetUtcNow());

    private void Add(ReclaimRun run, DateTimeOffset? completedAt)
    {
        var info = new ReclaimRunInfo
        {
            CompletedAt = completedAt,
            Trigger = run.Trigger,
            Level = WireNames.Of(run.Level),
            UsageBytes = run.UsageBytes,
            LimitBytes = run.LimitBytes,
            TargetBytes = run.TargetBytes,
            BytesFreed = run.Result.BytesFreed,
            ObjectsFreed = run.Result.ObjectsFreed,
            LowestPriority = run.Result.LowestPriority,
            TargetMet = run.Result.TargetMet,
            InducedCollection = run.InducedCollection,
            ReactionTimeMs = run.ReactionTime.TotalMilliseconds,
            DurationMs = run.Duration.TotalMilliseconds,
        };
        lock (_gate)
        {
            _ring[_count % _ring.Length] = info;
            _count++;
        }
    }
}
