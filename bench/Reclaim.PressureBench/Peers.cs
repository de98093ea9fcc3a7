namespace Reclaim.PressureBench;

/// <summary>One cache the benchmark compares: its name (the workload's <c>--cache</c>) and what it is.</summary>
/// <param name="Name">The workload's name for it.</param>
/// <param name="Description">What it is, for the report.</param>
/// <param name="HasReclaimer">Whether Reclaim's reclaimer runs beside it (Reclaim's own peers).</param>
/// <param name="TakesSizeLimit">Whether it runs once per hand-tuned size limit.</param>
internal sealed record Peer(string Name, string Description, bool HasReclaimer, bool TakesSizeLimit)
{
    public static readonly Peer MemoryCache = new(
        "memorycache", "Microsoft.Extensions.Caching.Memory.MemoryCache, no SizeLimit, nothing else (what most code does)", false, false);

    public static readonly Peer RuntimeCaching = new(
        "runtime-caching", "System.Runtime.Caching.MemoryCache with its defaults (new MemoryCache(name))", false, false);

    public static readonly Peer MemoryCacheSized = new(
        "memorycache-sized", "MemoryCache with SizeLimit in bytes, each entry's Size its value length + 64 (hand-tuned)", false, true);

    public static readonly Peer Shrinkable = new(
        "shrinkable", "Reclaim: ShrinkableCache (weigher: length + 64, no size) + Reclaimer", true, false);

    public static readonly Peer MemoryCacheShrinker = new(
        "memorycache-shrinker", "Reclaim: MemoryCache, no SizeLimit, + MemoryCacheShrinker + Reclaimer", true, false);

    /// <summary>Every peer, in the order the benchmark runs and reports them.</summary>
    public static IReadOnlyList<Peer> All { get; } = [MemoryCache, RuntimeCaching, MemoryCacheSized, Shrinkable, MemoryCacheShrinker];

    public static Peer? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Which limit scenario a run is.</summary>
internal enum Phase
{
    /// <summary>The limit stays the same for the whole run.</summary>
    Steady,

    /// <summary>The limit drops by a third at half time.</summary>
    Lowered,
}

/// <summary>One run: a peer (with its size limit, if it takes one) in one phase, the n-th repeat.</summary>
internal sealed record RunSpec(Peer Peer, Phase Phase, double? SizeFraction, long? SizeLimitBytes, int Repeat)
{
    /// <summary>The peer as the report names it: <c>memorycache-sized 35%</c> for the sized runs.</summary>
    public string Label => SizeFraction is { } f
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Peer.Name} {f * 100:0.#}%")
        : Peer.Name;
}
