using System.Diagnostics;
using Reclaim.Groups;
using Reclaim.Internal;
using Reclaim.Telemetry;

namespace Reclaim;

/// <summary>
/// The set of shrinkers reclaim walks: it allocates them (<see cref="Alloc(string, ShrinkerFlags)"/>), links and
/// unlinks them as they are registered and freed, and runs passes over them (<see cref="ShrinkSlab(int, MemoryGroup?, int)"/>,
/// <see cref="DropCaches()"/>).
/// </summary>
/// <remarks>
/// <para>
/// Concurrency: any number of threads may run passes while others allocate, register and free shrinkers. Passes take
/// no lock: they walk the registered shrinkers as the kernel walks its RCU list and take a reference on each shrinker
/// they call. Allocation, registration and freeing serialize on one writer gate that is never held while a callback runs.
/// </para>
/// <para>
/// <see cref="Default"/> is the process-wide registry; tests and embedders make their own.
/// </para>
/// </remarks>
public sealed partial class ShrinkerRegistry
{
    private readonly TimeProvider _timeProvider;
    private readonly double _ticksPerMillisecond;
    private readonly bool _systemClock;
    private readonly IdAllocator _debugIds = new();
    private int _registeredCount;
    private ReclaimDiagnostics _diagnostics = ReclaimDiagnostics.None;
    private ReclaimDiagnostics _reporter = EventSourceDiagnostics.Instance;

    /// <summary>Makes a registry with one node and the system clock.</summary>
    public ShrinkerRegistry()
        : this(new ShrinkerRegistryOptions())
    {
    }

    /// <summary>Makes a registry with the given settings.</summary>
    /// <param name="options">The settings; they are read once, here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its <see cref="ShrinkerRegistryOptions.TimeProvider"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="ShrinkerRegistryOptions.NodeCount"/> is below 1 or above 1024, or
    /// <see cref="ShrinkerRegistryOptions.StuckCallbackThreshold"/> is not positive.
    /// </exception>
    public ShrinkerRegistry(ShrinkerRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeCount is < 1 or > MaxNodeCount)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.NodeCount,
                $"{nameof(ShrinkerRegistryOptions)}.{nameof(ShrinkerRegistryOptions.NodeCount)} must be between 1 and {MaxNodeCount}.");
        }

        if (options.TimeProvider is null)
        {
            throw new ArgumentNullException(nameof(options), $"{nameof(ShrinkerRegistryOptions)}.{nameof(ShrinkerRegistryOptions.TimeProvider)} must not be null.");
        }

        if (options.StuckCallbackThreshold <= TimeSpan.Zero)
        {
            Throw.ArgumentOutOfRange(nameof(options), options.StuckCallbackThreshold,
                $"{nameof(ShrinkerRegistryOptions)}.{nameof(ShrinkerRegistryOptions.StuckCallbackThreshold)} must be positive.");
        }

        NodeCount = options.NodeCount;
        StuckCallbackThresholdMs = (long)Math.Ceiling(options.StuckCallbackThreshold.TotalMilliseconds);
        _timeProvider = options.TimeProvider;
        _ticksPerMillisecond = _timeProvider.TimestampFrequency / 1000.0;
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
        Root = MemoryGroup.CreateRoot(this, _unitCount);
        _onlineGroups.Add(Root.Id, Root);
    }

    /// <summary>The most nodes a registry may have.</summary>
    public const int MaxNodeCount = 1024;

    /// <summary>The process-wide registry.</summary>
    public static ShrinkerRegistry Default { get; } = new();

    /// <summary>How many nodes this registry's passes distinguish; valid nodes are 0 to <c>NodeCount - 1</c>.</summary>
    public int NodeCount { get; }

    /// <summary>
    /// The root memory group. A pass over it (a root pass) calls every registered shrinker; group-aware shrinkers see
    /// the root as their group and count what is charged to the root itself (their objects in child groups are
    /// reclaimed by passes over those groups, as <see cref="DropCaches()"/> makes).
    /// </summary>
    public MemoryGroup Root { get; }

    /// <summary>How many shrinkers are registered now (including those whose <see cref="Shrinker.Free"/> is waiting).</summary>
    public int RegisteredCount => Volatile.Read(ref _registeredCount);

    /// <summary>Serializes Alloc, Register and Free (the kernel's <c>shrinker_mutex</c>). Never held while a callback runs.</summary>
    internal object Gate { get; } = new();

    /// <summary>Test hook: runs between publishing a shrinker and giving it its initial reference.</summary>
    internal Action<Shrinker>? OnPublishedForTest { get; set; }

    /// <summary>
    /// The hooks added to this registry (logging, tests): <see cref="ReclaimDiagnostics.None"/> until one is added or
    /// set. The core reports through <see cref="Reporter"/>, which puts the event source first, so setting this never
    /// turns the events off.
    /// </summary>
    internal ReclaimDiagnostics Diagnostics
    {
        get => _diagnostics;
        set
        {
            // Two writes, not one: a report racing a change of hooks goes to the old hooks or the new ones (accepted: a
            // hook added while a pass runs may miss that pass's faults either way).
            _diagnostics = value;
            _reporter = CompositeDiagnostics.Combine(EventSourceDiagnostics.Instance, value);
        }
    }

    /// <summary>Where the core reports faults: the event source (<see cref="EventSourceDiagnostics"/>), then <see cref="Diagnostics"/>.</summary>
    internal ReclaimDiagnostics Reporter => _reporter;

    /// <summary>How long a callback may run before the event source reports it stuck, in the registry's milliseconds.</summary>
    internal long StuckCallbackThresholdMs { get; }

    /// <summary>Adds a diagnostics hook (logging, events, metrics) beside those already there.</summary>
    internal void AddDiagnostics(ReclaimDiagnostics hook)
    {
        lock (Gate)
        {
            Diagnostics = CompositeDiagnostics.Combine(Diagnostics, hook);
        }
    }

    /// <summary>Removes a hook added with <see cref="AddDiagnostics"/>.</summary>
    internal void RemoveDiagnostics(ReclaimDiagnostics hook)
    {
        lock (Gate)
        {
            Diagnostics = CompositeDiagnostics.Remove(Diagnostics, hook);
        }
    }

    /// <summary>
    /// Allocates a shrinker (<c>shrinker_alloc</c>): named, with the lowest free <see cref="Shrinker.DebugId"/>, its
    /// deferred counters made, its reference count 0. Set its callbacks, then <see cref="Shrinker.Register"/> it.
    /// </summary>
    /// <param name="name">A name for diagnostics: not empty or white space; leading and trailing white space is removed.</param>
    /// <param name="flags">Whether the shrinker keeps its objects per node, per memory group, or both.</param>
    /// <returns>A new shrinker in the <see cref="ShrinkerState.Allocated"/> state.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="flags"/> has bits that are not a <see cref="ShrinkerFlags"/> value.</exception>
    public Shrinker Alloc(string name, ShrinkerFlags flags = ShrinkerFlags.None)
    {
        string trimmed = ValidateName(name);
        if ((flags & ~(ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware)) != 0)
        {
            Throw.ArgumentOutOfRange(nameof(flags), flags, "Only ShrinkerFlags.NodeAware and ShrinkerFlags.GroupAware may be set.");
        }

        lock (Gate)
        {
            var shrinker = new Shrinker(this, trimmed, flags, _debugIds.Allocate());
            if (shrinker.IsGroupAware)
            {
                shrinker.GroupAwareId = AllocGroupAwareId(shrinker);
            }

            return shrinker;
        }
    }

    /// <summary>The registered shrinkers, in registration order, at one moment. Allocates: for diagnostics, not reclaim.</summary>
    /// <returns>A new array of the shrinkers registered now.</returns>
    public Shrinker[] GetShrinkers()
    {
        var list = new List<Shrinker>(RegisteredCount);
        for (RcuListNode<Shrinker>? n = Volatile.Read(ref _head); n is not null; n = n.Next)
        {
            Shrinker s = n.Item;
            if (s.State is ShrinkerState.Registered or ShrinkerState.Freeing)
            {
                list.Add(s);
            }
        }

        return [.. list];
    }

    /// <summary>Finds a registered shrinker by its debug name, <c>name-id</c> (as <see cref="Shrinker.ToString"/> gives it).</summary>
    /// <param name="debugName">The debug name.</param>
    /// <returns>The shrinker, or <see langword="null"/> when none registered now has that debug name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="debugName"/> is <see langword="null"/>.</exception>
    public Shrinker? FindShrinker(string debugName)
    {
        ArgumentNullException.ThrowIfNull(debugName);
        for (RcuListNode<Shrinker>? n = Volatile.Read(ref _head); n is not null; n = n.Next)
        {
            Shrinker s = n.Item;
            if (s.State == ShrinkerState.Registered && string.Equals(s.ToString(), debugName, StringComparison.Ordinal))
            {
                return s;
            }
        }

        return null;
    }

    internal static string ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            Throw.Argument(nameof(name), "A shrinker needs a name that is not empty or white space; it names the shrinker in diagnostics as name-id.");
        }

        return name.Trim();
    }

    /// <summary>
    /// The registry's clock in milliseconds, for callback timings and stuck-callback detection. With the system clock
    /// this is <see cref="Environment.TickCount64"/>: a coarse monotonic clock that costs a fraction of a precise
    /// timestamp (measured here: about 20 ns against 75-110 ns), read once per shrinker a pass visits.
    /// </summary>
    internal long NowMilliseconds() =>
        _systemClock ? Environment.TickCount64 : (long)(_timeProvider.GetTimestamp() / _ticksPerMillisecond);

    /// <summary>Register's work, under the gate: check the rules, link, publish, then the initial reference.</summary>
    internal void Register(Shrinker shrinker)
    {
        lock (Gate)
        {
            switch (shrinker.State)
            {
                case ShrinkerState.Registered:
                case ShrinkerState.Freeing:
                    Throw.InvalidOperation($"Shrinker '{shrinker}' is already registered; Register() may be called once.");
                    break;
                case ShrinkerState.Freed:
                    Throw.InvalidOperation($"Shrinker '{shrinker}' has been freed and cannot be registered; allocate a new one.");
                    break;
            }

            if (shrinker.CountObjects is null || shrinker.ScanObjects is null)
            {
                string missing = shrinker.CountObjects is null
                    ? shrinker.ScanObjects is null ? "CountObjects and ScanObjects" : "CountObjects"
                    : "ScanObjects";
                Throw.InvalidOperation($"Shrinker '{shrinker}' cannot be registered without {missing}; set both callbacks first.");
            }

            Link(shrinker);
            _registeredCount++;
            SchedulingPoints.Interleave();
            shrinker.MarkRegistered();
        }
    }

    /// <summary>Free's second half, once every call in flight has returned: unlink and release the ids. Idempotent.</summary>
    internal void FinishFree(Shrinker shrinker)
    {
        lock (Gate)
        {
            if (shrinker.State != ShrinkerState.Freeing)
            {
                Debug.Assert(shrinker.State == ShrinkerState.Freed, "FinishFree runs only after BeginFree.");
                return;
            }

            Debug.Assert(shrinker.ReferenceCount == 0, "FinishFree runs only after the reference count reached 0.");
            Unlink(shrinker);
            _registeredCount--;
            ReleaseIds(shrinker);
            shrinker.MarkFreed();
        }
    }

    /// <summary>Returns a shrinker's ids to their allocators. Called under the gate.</summary>
    internal void ReleaseIds(Shrinker shrinker)
    {
        _debugIds.Release(shrinker.DebugId);
        if (shrinker.IsGroupAware)
        {
            ReleaseGroupAwareId(shrinker.GroupAwareId);
        }
    }
}
