using System.Diagnostics;
using Reclaim.Internal;

namespace Reclaim;

/// <summary>
/// A holder of re-creatable objects that reclaim may ask to give some back: the kernel's <c>struct shrinker</c>.
/// </summary>
/// <remarks>
/// <para>
/// Life: <see cref="ShrinkerRegistry.Alloc(string, ShrinkerFlags)"/> makes it; set <see cref="CountObjects"/>,
/// <see cref="ScanObjects"/> and optionally <see cref="Seeks"/>, <see cref="Batch"/> and <see cref="PrivateData"/>; then
/// <see cref="Register"/>. From that moment any thread running a pass may call the callbacks, possibly several at once.
/// <see cref="Free"/> (or <see cref="Dispose"/>) ends it, registered or not; when it returns no callback of this shrinker
/// runs and none ever will, so the owner may tear down what the callbacks use.
/// </para>
/// <para>
/// The callbacks' contract, as in <c>include/linux/shrinker.h</c>:
/// </para>
/// <list type="bullet">
/// <item><description><see cref="CountObjects"/> must be cheap: no blocking, no lock that a pass could hold, no
/// call back into the registry. It returns how many objects could be freed now, <see cref="Empty"/> when there are
/// none at all (group passes then forget the shrinker for that group until objects come back), or 0 when it cannot
/// tell or wants to be skipped now.</description></item>
/// <item><description><see cref="ScanObjects"/> tries to free up to <see cref="ShrinkControl.NrToScan"/> objects and
/// returns how many it freed, or <see cref="Stop"/> when it cannot make progress now (a lock is contended): no further
/// scan is asked of it in this pass. It may set <see cref="ShrinkControl.NrScanned"/> to what it really looked at. It
/// may block briefly, but every moment it blocks is a moment reclaim is stalled.</description></item>
/// <item><description>A callback that throws does not break reclaim: the exception is caught and counted
/// (<see cref="ShrinkerStatistics.CallbackErrors"/>) and the pass goes on with the next shrinker. A count below 0 other
/// than <see cref="Empty"/>, or a scan result below 0 other than <see cref="Stop"/>, is a contract violation
/// (<see cref="ShrinkerStatistics.ContractViolations"/>) and is taken as 0 or <see cref="Stop"/>.</description></item>
/// <item><description>A callback must not <see cref="Free"/> its own shrinker: that would wait for itself, so it
/// throws <see cref="InvalidOperationException"/>.</description></item>
/// </list>
/// <para>Thread safety: every member may be called from any thread.</para>
/// </remarks>
[DebuggerDisplay("{Name,nq}-{DebugId} {State}")]
public sealed partial class Shrinker : IDisposable
{
    /// <summary>Returned by a scan that cannot make progress now (<c>SHRINK_STOP</c>): the pass asks no more of it.</summary>
    public const long Stop = -1;

    /// <summary>Returned by a count when the shrinker holds no objects at all (<c>SHRINK_EMPTY</c>).</summary>
    public const long Empty = -2;

    /// <summary>The default cost of re-creating an object (<c>DEFAULT_SEEKS</c>).</summary>
    public const int DefaultSeeks = 2;

    /// <summary>The default number of objects per scan call (<c>SHRINK_BATCH</c>), used when <see cref="Batch"/> is 0.</summary>
    public const int DefaultBatch = 128;

    private readonly long[] _deferred;
    private string _name;
    private DebugNameCache? _debugName;
    private int _seeks = DefaultSeeks;
    private int _batch;
    private ShrinkerCallback? _countObjects;
    private ShrinkerCallback? _scanObjects;

    internal Shrinker(ShrinkerRegistry registry, string name, ShrinkerFlags flags, int debugId)
    {
        Registry = registry;
        _name = name;
        Flags = flags;
        DebugId = debugId;
        _deferred = new long[(flags & ShrinkerFlags.NodeAware) != 0 ? registry.NodeCount : 1];
    }

    /// <summary>The registry that allocated this shrinker.</summary>
    public ShrinkerRegistry Registry { get; }

    /// <summary>The name given at allocation or by <see cref="Rename(string)"/>.</summary>
    public string Name => Volatile.Read(ref _name);

    /// <summary>
    /// An id unique among this registry's live shrinkers; the lowest free one is given at allocation and released by
    /// <see cref="Free"/>. With <see cref="Name"/> it makes the debug name <c>name-id</c> (<see cref="ToString"/>).
    /// </summary>
    public int DebugId { get; }

    /// <summary>The flags given at allocation.</summary>
    public ShrinkerFlags Flags { get; }

    /// <summary>Whether this shrinker keeps counts and deferred work per node.</summary>
    public bool IsNodeAware => (Flags & ShrinkerFlags.NodeAware) != 0;

    /// <summary>Whether this shrinker keeps counts and deferred work per memory group.</summary>
    public bool IsGroupAware => (Flags & ShrinkerFlags.GroupAware) != 0;

    /// <summary>
    /// The cost of re-creating an object: 2 (<see cref="DefaultSeeks"/>) for a typical cache; higher means reclaim asks
    /// for fewer objects; 0 means free to re-create, and such a shrinker is asked for half its objects on every pass.
    /// </summary>
    /// <value>The default value is <see cref="DefaultSeeks"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is already registered or freed.</exception>
    public int Seeks
    {
        get => _seeks;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ThrowIfNotAllocated(nameof(Seeks));
            _seeks = value;
        }
    }

    /// <summary>How many objects each scan call is asked for; 0 means <see cref="DefaultBatch"/>.</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is already registered or freed.</exception>
    public int Batch
    {
        get => _batch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ThrowIfNotAllocated(nameof(Batch));
            _batch = value;
        }
    }

    /// <summary>
    /// How many objects could be freed now (<c>count_objects</c>). Required before <see cref="Register"/>. See the
    /// type's remarks for the contract.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is already registered or freed.</exception>
    public ShrinkerCallback? CountObjects
    {
        get => _countObjects;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ThrowIfNotAllocated(nameof(CountObjects));
            _countObjects = value;
        }
    }

    /// <summary>
    /// Free up to <see cref="ShrinkControl.NrToScan"/> objects (<c>scan_objects</c>). Required before
    /// <see cref="Register"/>. See the type's remarks for the contract.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The shrinker is already registered or freed.</exception>
    public ShrinkerCallback? ScanObjects
    {
        get => _scanObjects;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ThrowIfNotAllocated(nameof(ScanObjects));
            _scanObjects = value;
        }
    }

    /// <summary>The owner's state, for the callbacks to find (<c>private_data</c>). Reclaim never reads it.</summary>
    public object? PrivateData { get; set; }

    /// <summary>The batch a pass uses: <see cref="Batch"/>, or <see cref="DefaultBatch"/> when that is 0.</summary>
    internal int EffectiveBatch => _batch != 0 ? _batch : DefaultBatch;

    /// <summary>Gives the shrinker a new name; its debug name (<c>name-id</c>) follows.</summary>
    /// <param name="name">The new name: not empty or white space; leading and trailing white space is removed.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    /// <exception cref="InvalidOperationException">The shrinker has been freed.</exception>
    public void Rename(string name)
    {
        string trimmed = ShrinkerRegistry.ValidateName(name);
        if (State == ShrinkerState.Freed)
        {
            Throw.InvalidOperation($"Shrinker '{this}' has been freed and cannot be renamed.");
        }

        Volatile.Write(ref _name, trimmed);
    }

    /// <summary>The debug name, <c>name-id</c>, as the kernel names the shrinker's debugfs directory.</summary>
    /// <returns>The name and <see cref="DebugId"/> joined by a dash.</returns>
    public override string ToString() => DebugName;

    /// <summary>
    /// The debug name, made once per name: telemetry tags every measurement with it, so reading it must not allocate.
    /// </summary>
    internal string DebugName
    {
        get
        {
            // The cache says which name it was made from: after a Rename the first reader makes it again. Two readers
            // racing a rename may both make it (accepted: the same string twice, one of them kept).
            string name = Name;
            DebugNameCache? cache = Volatile.Read(ref _debugName);
            if (cache is null || !ReferenceEquals(cache.Name, name))
            {
                cache = new DebugNameCache(name, $"{name}-{DebugId}");
                Volatile.Write(ref _debugName, cache);
            }

            return cache.DebugName;
        }
    }

    /// <summary>The deferred counter of <paramref name="node"/> for a shrinker that is not group-aware.</summary>
    internal ref long DeferredSlot(int node) => ref _deferred[node];

    private sealed record DebugNameCache(string Name, string DebugName);

    private void ThrowIfNotAllocated(string setting)
    {
        ShrinkerState state = State;
        if (state != ShrinkerState.Allocated)
        {
            Throw.InvalidOperation(
                $"{setting} of shrinker '{this}' is fixed once the shrinker is registered (it is {state}); set it before Register().");
        }
    }
}
