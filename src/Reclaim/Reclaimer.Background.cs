using Reclaim.Internal;
using Reclaim.Pressure;
using Reclaim.Telemetry;

namespace Reclaim;

// Background reclaim (kswapd): one step per wake-up, on the reclaimer's thread.
public sealed partial class Reclaimer
{
    // Charged bytes freed by reclaim since the last collection: garbage that usage readings still count. Added to by
    // background and direct reclaim (any thread, Interlocked.Add); zeroed by the reclaimer's thread when it sees a new
    // collection (Interlocked.Exchange). A direct reclaim adding just after the zeroing, for bytes the
    // collection already freed, makes the next readings look lower than they are until the next collection: the cost is
    // a run that starts a little late, which the next collection corrects.
    private long _credit;

    // Reclaimer-thread state.
    private int _lastCollectionCount;
    private int _lastGen2Count;
    private bool _awaitingCollection;
    private long _lastInducedCollection = long.MinValue;
    private long _runCount;
    private long _inducedCollectionCount;
    private ReclaimRun? _lastRun;

    /// <summary>Raised on the reclaimer's thread after each background reclaim run. Keep handlers short.</summary>
    public event EventHandler<ReclaimRun>? RunCompleted;

    /// <summary>How many background reclaim runs have completed.</summary>
    public long RunCount => Volatile.Read(ref _runCount);

    /// <summary>How many gen2 collections the reclaimer has induced.</summary>
    public long InducedCollectionCount => Volatile.Read(ref _inducedCollectionCount);

    /// <summary>The last background reclaim run, or null before the first.</summary>
    public ReclaimRun? LastRun
    {
        get
        {
            lock (_observersGate)
            {
                return _lastRun;
            }
        }
    }

    /// <summary>
    /// One wake-up: take the pending signal, refresh the limit when due, read usage, update the level, and run
    /// background reclaim when usage (less the credit) is at or above the start watermark. Internal so tests can drive
    /// the decisions with fake readings and a fake clock.
    /// </summary>
    internal void Step()
    {
        // The monitor that reports stuck callbacks, when a session has just asked for it (one field read otherwise).
        ReclaimEventSource.Log.EnsureStuckMonitor();
        long now = _time.GetTimestamp();
        (MemoryPressureLevel? signalled, string trigger, long since) = TakePending(now);
        if (_time.GetElapsedTime(Volatile.Read(ref _limitResolvedAt), now) >= _limitRefreshInterval)
        {
            RefreshLimit();
        }

        SeeCollections();
        long limit = _limit.Value.Bytes;
        long usage = ReadDecidingUsage();
        long reading = Math.Max(0, usage - Volatile.Read(ref _credit));
        long charged = Registry.Root.Usage;
        long effective = Registry.HasFreedWithoutCharge
            ? reading
            : _withoutGarbage.Estimate(
                reading, charged, Math.Max(0, Registry.BytesReclaimed - Volatile.Read(ref _credit)), _reader.Gen2CollectionCount, _watermarks.DirectLine(limit));
        if (signalled is { } level)
        {
            // A source that knows memory is short: reclaim as if usage stood at least at that level's line.
            effective = Math.Max(effective, LevelLine(level, limit));
            reading = Math.Max(reading, LevelLine(level, limit));
        }

        UpdateLevel(effective, limit);

        // A handler of that change (PressureChanged, a subscriber) may have stopped the reclaimer from this thread, where
        // Stop cannot wait for the step: end it here, before it sets a pressure line no reading will refresh (Stop has
        // already taken the line down) or starts a run after Stop returned.
        if (_stopping)
        {
            return;
        }

        // The line throttles charges on the reading itself: garbage needs room too, until a collection frees it.
        SetPressureLine(reading, charged, limit);
        if (effective < _watermarks.StartLine(limit))
        {
            return;
        }

        // The last run freed objects that no charge accounts for: what they were worth shows only after a collection.
        // Until one happens, reclaiming again on the same reading would take the same excess twice; unless usage is
        // critical or a source says memory is short.
        if (_awaitingCollection && effective < _watermarks.DirectLine(limit) && signalled is null or MemoryPressureLevel.None)
        {
            return;
        }

        RunBackground(trigger, since, usage, effective, limit, _tracker.Level);
    }

    private void RunBackground(string trigger, long since, long usage, long effective, long limit, MemoryPressureLevel level)
    {
        long target = effective - _watermarks.TargetLine(limit);
        long started = _time.GetTimestamp();
        var goal = new BackgroundGoal(this, target, effective, limit);
        ReclaimResult result = Registry.ReclaimUntil(Registry.Root, ref goal, 1, CancellationToken.None);
        long ended = _time.GetTimestamp();

        Interlocked.Add(ref _credit, goal.ChargedFreedSinceCollection);
        _awaitingCollection = result.ObjectsFreed > 0 && (!result.TargetMet || goal.MetByObjects);
        var run = new ReclaimRun(
            trigger, level, usage, limit, target, result, goal.InducedCollection,
            _time.GetElapsedTime(since, started), _time.GetElapsedTime(started, ended));
        lock (_observersGate)
        {
            _lastRun = run;
        }

        Interlocked.Increment(ref _runCount);
        ReclaimEventSource.Log.OnReclaimRun(run);
        Raise(RunCompleted, run);
    }

    /// <summary>
    /// Direct reclaim by charges: the root's pressure line is the lower of two charged-byte lines. (1) Where charged
    /// bytes would put usage at the direct watermark if everything else stood still until the next reading: a holder
    /// growing faster than background reclaim can follow throttles itself instead of taking the process past its limit
    /// between two readings, and usage above the direct watermark puts the line below the charged bytes, so the next
    /// charges give back the excess first. (2) The target watermark less the least uncharged usage seen over the last
    /// readings (what the rest of the process needs even right after a collection): right after a collection the
    /// reading is low and line (1) alone would let charged bytes fill the whole limit, leaving the collector no room for
    /// the garbage that follows (measured: out of memory with the cache at 89 % of the limit).
    /// </summary>
    private void SetPressureLine(long reading, long charged, long limit)
    {
        _unchargedFloor.Add(Math.Max(0, reading - charged));
        long growth = Saturating.Add(charged, _watermarks.DirectLine(limit) - reading);
        long budget = _watermarks.TargetLine(limit) - _unchargedFloor.Minimum;
        Registry.Root.SetPressureLine(Math.Min(growth, budget));
    }

    // The uncharged part of the last readings (usage less charged bytes), for the pressure line's budget.
    private readonly RecentMinimum _unchargedFloor = new(32);

    // The usage background reclaim decides on: the reading less what reclaim freed since the last gen2 collection; the
    // reading itself once a holder that does not charge has been reclaimed from (its growth shows in the reading only,
    // and the estimate would hide it: measured, the demo's uncharged MemoryCache catalog grew unseen and its workload
    // died of OutOfMemoryException in 1 of 5 runs in a 384 MiB cgroup heap).
    private readonly GarbageEstimate _withoutGarbage = new();

    /// <summary>The smallest of the last n values added (n readings: ~3 s at the default sampling). Reclaimer thread only.</summary>
    private sealed class RecentMinimum(int size)
    {
        private readonly long[] _values = new long[size];
        private int _next;
        private int _count;

        public long Minimum { get; private set; }

        public void Add(long value)
        {
            _values[_next] = value;
            _next = (_next + 1) % _values.Length;
            _count = Math.Min(_count + 1, _values.Length);
            long min = long.MaxValue;
            for (int i = 0; i < _count; i++)
            {
                min = Math.Min(min, _values[i]);
            }

            Minimum = min;
        }
    }

    /// <summary>
    /// Collections since the last look. Any collection spends the credit: reclaim mostly drops entries young enough for
    /// a gen0 or gen1 collection to free, and counting them as garbage after that would hide real growth (the safe error
    /// is the other one: old garbage still counted makes the next run start early). Only a gen2 collection shows what
    /// uncharged frees were worth, so only that ends the wait after such a run.
    /// </summary>
    private void SeeCollections()
    {
        int count = _reader.CollectionCount;
        if (count != _lastCollectionCount)
        {
            _lastCollectionCount = count;
            Interlocked.Exchange(ref _credit, 0);
        }

        int gen2 = _reader.Gen2CollectionCount;
        if (gen2 != _lastGen2Count)
        {
            _lastGen2Count = gen2;
            _awaitingCollection = false;
        }
    }

    /// <summary>Induces a collection if allowed now; true when it did.</summary>
    private bool TryInduceCollection()
    {
        long now = _time.GetTimestamp();
        if (!_induceCollections ||
            (_lastInducedCollection != long.MinValue && _time.GetElapsedTime(_lastInducedCollection, now) < _inducedCollectionInterval))
        {
            return false;
        }

        _lastInducedCollection = now;
        _reader.InduceCollection();
        Interlocked.Increment(ref _inducedCollectionCount);
        SeeCollections();
        return true;
    }

    private long LevelLine(MemoryPressureLevel level, long limit) => level switch
    {
        MemoryPressureLevel.Critical => _watermarks.DirectLine(limit),
        MemoryPressureLevel.Moderate => _watermarks.StartLine(limit),
        _ => 0,
    };

    /// <summary>
    /// A background run's goal: <c>target</c> bytes out of <c>usage</c>, counted as the bytes its shrinkers uncharge. While the run has freed objects but no charged bytes (holders that do not charge), the bytes are
    /// unknown until a collection: the run is then met once it freed the same share of the objects the shrinkers counted
    /// at the first priority as the target is of usage (the kernel's proportional reclaim), rather than escalating
    /// blind. Where the charged measure cannot settle it (such frees, a target beyond every charged byte, or the last
    /// priority unmet) and usage less this run's progress is still at or above the direct watermark, it may induce one
    /// collection and measure for real: met when usage is then at or below the target watermark, else the rest becomes
    /// the new target.
    /// </summary>
    private struct BackgroundGoal(Reclaimer reclaimer, long target, long usage, long limit) : IReclaimGoal
    {
        private readonly long _chargedAtStart = reclaimer.Registry.Root.Usage;
        private long _baseline = ReclaimScope.Uncharged;
        private long _target = target;
        private long _usage = Math.Max(1, usage);
        private long _objectsBaseline;
        private long _objectsShare = long.MaxValue;
        private bool _measuredMet;

        public bool InducedCollection { get; private set; }

        /// <summary>Whether the run stopped on the objects' share, not on bytes seen: what it freed shows after a collection.</summary>
        public bool MetByObjects { get; private set; }

        public readonly long ChargedFreedSinceCollection => ReclaimScope.Uncharged - _baseline;

        public bool IsMet(long objectsFreed)
        {
            long charged = ReclaimScope.Uncharged - _baseline;
            if (_measuredMet || charged >= _target)
            {
                return true;
            }

            MetByObjects = charged <= 0 && objectsFreed - _objectsBaseline >= _objectsShare;
            return MetByObjects;
        }

        public void AfterPriority(int priority, long objectsFreed, long objectsCounted)
        {
            if (_objectsShare == long.MaxValue && objectsCounted > 0)
            {
                // The first full priority counted every object (before this priority's frees, near enough).
                _objectsShare = Math.Max(1, (long)Math.Ceiling(objectsCounted * (double)_target / _usage));
            }

            // A collection is induced only when the charged measure cannot settle it: frees that no charge explains, a
            // target beyond every charged byte (garbage or uncharged holders make most of the excess: emptying the
            // caches first would be for nothing), or the last priority ending unmet. Otherwise charged progress shows.
            if (InducedCollection || objectsFreed == _objectsBaseline)
            {
                return;
            }

            bool unexplained = ReclaimScope.Uncharged - _baseline <= 0;
            if (!unexplained && _target <= _chargedAtStart && priority > 1)
            {
                return;
            }

            long now = reclaimer.ReadDecidingUsage() - Volatile.Read(ref reclaimer._credit) - ChargedFreedSinceCollection;
            if (now < reclaimer._watermarks.DirectLine(limit) || !reclaimer.TryInduceCollection())
            {
                return;
            }

            InducedCollection = true;
            long measured = reclaimer.ReadDecidingUsage();
            long targetLine = reclaimer._watermarks.TargetLine(limit);
            _baseline = ReclaimScope.Uncharged;
            _measuredMet = measured <= targetLine;
            _target = measured - targetLine;
            _usage = Math.Max(1, measured);
            _objectsBaseline = objectsFreed;
            _objectsShare = long.MaxValue;
        }
    }
}
