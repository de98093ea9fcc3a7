using Microsoft.Coyote.Runtime;
using Microsoft.Coyote.Specifications;

namespace Reclaim.SystematicTests.Infrastructure;

/// <summary>
/// A shrinker whose callbacks check the lifetime protocol from the inside: each callback asserts, as it starts, that
/// <see cref="Shrinker.Free"/> has not returned, that the shrinker is registered or being freed, that the pass holds a
/// reference on top of the initial one while the shrinker is registered, and that a pass which began after
/// <see cref="Shrinker.Free"/> moved the shrinker to <see cref="ShrinkerState.Freeing"/> never calls it.
/// The scan callback yields to the scheduler in its middle, so Free and other passes run while it is inside.
/// </summary>
/// <remarks>
/// Test state is kept in plain fields: Coyote runs one operation at a time, and a plain field access is not a
/// scheduling point. Every check reads the values it needs first and then asserts on those values, so a message
/// always shows what was checked (reading a Reclaim property is a scheduling point: other operations may run).
/// </remarks>
internal sealed class ObservedShrinker
{
    // Set by each pass started through RunPass: the shrinker that was already Freeing or Freed when the pass began.
    private static readonly AsyncLocal<ObservedShrinker?> s_passBeganAfterFreeOf = new();

    private readonly Action? _onScan;
    private readonly string _name;
    private int _inside;
    private bool _freeReturned;

    public ObservedShrinker(ShrinkerRegistry registry, string name, long objects = 10, long scanResult = AllAskedFor, Action? onScan = null)
    {
        Registry = registry;
        Objects = objects;
        ScanResult = scanResult;
        _onScan = onScan;
        Shrinker = registry.Alloc(name);
        Shrinker.CountObjects = Count;
        Shrinker.ScanObjects = Scan;
        _name = Shrinker.ToString();
    }

    /// <summary>A <see cref="ScanResult"/> meaning "as many as the pass asked for".</summary>
    public const long AllAskedFor = -3;

    public ShrinkerRegistry Registry { get; }

    public Shrinker Shrinker { get; }

    /// <summary>What the count callback returns.</summary>
    public long Objects { get; }

    /// <summary>What the scan callback returns, or <see cref="AllAskedFor"/>.</summary>
    public long ScanResult { get; }

    /// <summary>Count callbacks started.</summary>
    public int CountCalls { get; private set; }

    /// <summary>Scan callbacks started.</summary>
    public int ScanCalls { get; private set; }

    /// <summary>Callbacks running now.</summary>
    public int Inside => _inside;

    /// <summary>The shrinker's debug name, taken at allocation.</summary>
    public override string ToString() => _name;

    /// <summary>Runs a root pass at <paramref name="priority"/>, noting whether <paramref name="watched"/> was already being freed when it began.</summary>
    public static long RunPass(ShrinkerRegistry registry, ObservedShrinker? watched, int priority = 0)
    {
        s_passBeganAfterFreeOf.Value = watched is not null && watched.Shrinker.State >= ShrinkerState.Freeing ? watched : null;
        try
        {
            return registry.ShrinkSlab(0, null, priority);
        }
        finally
        {
            s_passBeganAfterFreeOf.Value = null;
        }
    }

    /// <summary>Frees the shrinker (blocking <see cref="Shrinker.Free"/>) and checks what must hold when it returns.</summary>
    public void Free()
    {
        Shrinker.Free();
        AfterFreeReturned("Free");
    }

    /// <summary>Frees the shrinker with <see cref="Shrinker.FreeAsync(CancellationToken)"/> and checks what must hold when it returns.</summary>
    public async Task FreeAsync()
    {
        await Shrinker.FreeAsync();
        AfterFreeReturned("FreeAsync");
    }

    /// <summary>Checks what must hold once a Free has returned: freed, no reference, no callback running, unlisted.</summary>
    public void AfterFreeReturned(string how)
    {
        _freeReturned = true;
        int inside = _inside;
        Specification.Assert(inside == 0, $"{how} of '{_name}' returned while {inside} callback(s) were still running.");
        ShrinkerState state = Shrinker.State;
        Specification.Assert(state == ShrinkerState.Freed, $"{how} of '{_name}' returned in state {state}, not Freed.");
        int references = Shrinker.ReferenceCount;
        Specification.Assert(references == 0, $"{how} of '{_name}' returned with reference count {references}, not 0.");
        bool listed = Registry.GetShrinkers().Contains(Shrinker);
        Specification.Assert(!listed, $"{how} of '{_name}' returned but the registry still lists it.");
    }

    private long Count(Shrinker shrinker, ref ShrinkControl control)
    {
        Enter("count");
        CountCalls++;
        _inside--;
        return Objects;
    }

    private long Scan(Shrinker shrinker, ref ShrinkControl control)
    {
        Enter("scan");
        ScanCalls++;
        _onScan?.Invoke();
        SchedulingPoint.Interleave();
        Specification.Assert(!_freeReturned, $"Free of '{_name}' returned while its scan callback was running.");
        long deferred = Shrinker.GetDeferred(0);
        Specification.Assert(deferred >= 0, $"'{_name}' has negative deferred work {deferred}.");
        _inside--;
        return ScanResult == AllAskedFor ? control.NrToScan : ScanResult;
    }

    private void Enter(string callback)
    {
        Specification.Assert(!_freeReturned, $"The {callback} callback of '{_name}' started after Free returned.");
        Specification.Assert(
            !ReferenceEquals(s_passBeganAfterFreeOf.Value, this),
            $"The {callback} callback of '{_name}' was called by a pass that began after Free had moved it to Freeing.");

        // The count is read before the state: the state only moves forward and Free moves it to Freeing before it
        // drops the initial reference, so a count below 2 read before a state of Registered is a protocol break.
        int references = Shrinker.ReferenceCount;
        ShrinkerState state = Shrinker.State;
        Specification.Assert(
            state is ShrinkerState.Registered or ShrinkerState.Freeing,
            $"The {callback} callback of '{_name}' started in state {state}.");
        Specification.Assert(
            references >= (state == ShrinkerState.Registered ? 2 : 1),
            $"The {callback} callback of '{_name}' started with reference count {references} in state {state}: the pass holds no reference of its own.");
        _inside++;
    }
}
