using System.Reflection;
using Microsoft.Coyote.Specifications;
using Reclaim.Internal;

namespace Reclaim.SystematicTests.Infrastructure;

/// <summary>Checks on a whole registry, made once every task of an iteration has ended.</summary>
internal static class Registries
{
    /// <summary>
    /// Asserts that the registry's list holds exactly <paramref name="expected"/>, in that order, each Registered with
    /// only its initial reference, with consistent back links and tail, and that <see cref="ShrinkerRegistry.GetShrinkers"/>
    /// and <see cref="ShrinkerRegistry.RegisteredCount"/> agree. Walks the list itself, so it holds in Release builds
    /// too (where <see cref="ShrinkerRegistry.AssertInvariants"/> is compiled out).
    /// </summary>
    public static void AssertRegistered(ShrinkerRegistry registry, params Shrinker[] expected)
    {
        string want = Names(expected);

        // Walks at most a few links past the expected length: enough to show what is linked, bounded if a bug made a cycle.
        var linked = new List<Shrinker>();
        RcuListNode<Shrinker>? previous = null;
        for (RcuListNode<Shrinker>? n = Head(registry); n is not null && linked.Count <= expected.Length + 4; n = n.Next)
        {
            Shrinker s = n.Item;
            RcuListNode<Shrinker>? back = n.Previous;
            Specification.Assert(ReferenceEquals(back, previous), $"'{s}' is linked after '{Name(previous)}' but its back link is '{Name(back)}'.");
            Specification.Assert(ReferenceEquals(s.ListNode, n), $"'{s}' is linked in a node that is not its own.");
            linked.Add(s);
            previous = n;
        }

        Specification.Assert(linked.SequenceEqual(expected), $"The registry links [{Names(linked)}], expected [{want}].");
        RcuListNode<Shrinker>? tail = Tail(registry);
        Specification.Assert(ReferenceEquals(tail, previous), $"The registry's tail is '{Name(tail)}', not the last linked '{Name(previous)}'.");

        Shrinker[] listed = registry.GetShrinkers();
        Specification.Assert(listed.SequenceEqual(expected), $"GetShrinkers() returns [{Names(listed)}], expected [{want}].");
        int count = registry.RegisteredCount;
        Specification.Assert(count == expected.Length, $"RegisteredCount is {count} but {expected.Length} shrinker(s) are registered.");
        foreach (Shrinker shrinker in expected)
        {
            ShrinkerState state = shrinker.State;
            Specification.Assert(state == ShrinkerState.Registered, $"'{shrinker}' is listed but {state}.");
            int references = shrinker.ReferenceCount;
            Specification.Assert(references == 1, $"'{shrinker}' ends with reference count {references}, not 1, with no pass running.");
        }

        registry.AssertInvariants();
    }

    private static string Names(IEnumerable<Shrinker> shrinkers) => string.Join(", ", shrinkers.Select(s => s.ToString()));

    private static string Name(RcuListNode<Shrinker>? node) => node?.Item.ToString() ?? "(none)";

    // Reflection rather than [UnsafeAccessor]: `coyote rewrite` 1.7.11 fails on extern methods.
    private static readonly FieldInfo s_head = typeof(ShrinkerRegistry).GetField("_head", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException(nameof(ShrinkerRegistry), "_head");

    private static readonly FieldInfo s_tail = typeof(ShrinkerRegistry).GetField("_tail", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException(nameof(ShrinkerRegistry), "_tail");

    private static RcuListNode<Shrinker>? Head(ShrinkerRegistry registry) => (RcuListNode<Shrinker>?)s_head.GetValue(registry);

    private static RcuListNode<Shrinker>? Tail(ShrinkerRegistry registry) => (RcuListNode<Shrinker>?)s_tail.GetValue(registry);
}
