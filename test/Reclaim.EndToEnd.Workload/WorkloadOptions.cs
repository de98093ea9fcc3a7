using System.Globalization;
using Reclaim.Caching;

namespace Reclaim.EndToEnd.Workload;

/// <summary>Which cache the workload reads through: the pressure benchmark's peers (<c>--cache</c>).</summary>
internal enum CacheKind
{
    /// <summary><c>shrinkable</c>: a <c>ShrinkableCache&lt;long, byte[]&gt;</c> with a weigher (value length + 64 bytes), no size.</summary>
    Shrinkable,

    /// <summary><c>memorycache-shrinker</c>: a <c>MemoryCache</c> without a size limit, made reclaimable by a <c>MemoryCacheShrinker</c>.</summary>
    MemoryCacheShrinker,

    /// <summary><c>memorycache</c>: a <c>MemoryCache</c> without a size limit and nothing else (what most code does).</summary>
    MemoryCache,

    /// <summary><c>memorycache-sized</c>: a <c>MemoryCache</c> with <c>SizeLimit</c> in bytes, each entry's size its value length + 64.</summary>
    MemoryCacheSized,

    /// <summary><c>runtime-caching</c>: a <c>System.Runtime.Caching.MemoryCache</c> with its defaults.</summary>
    RuntimeCaching,
}

/// <summary>The peers' names on the command line and whether each has a shrinker a reclaimer can call.</summary>
internal static class CacheKinds
{
    private static readonly (CacheKind Kind, string Name)[] Names =
    [
        (CacheKind.Shrinkable, "shrinkable"),
        (CacheKind.MemoryCacheShrinker, "memorycache-shrinker"),
        (CacheKind.MemoryCache, "memorycache"),
        (CacheKind.MemoryCacheSized, "memorycache-sized"),
        (CacheKind.RuntimeCaching, "runtime-caching"),
    ];

    /// <summary>Every name, for the usage text.</summary>
    public static string AllNames => string.Join('|', Names.Select(n => n.Name));

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string Name(this CacheKind kind) => Names.First(n => n.Kind == kind).Name;

    /// <summary>Whether the cache registers a shrinker (so a reclaimer has something to ask).</summary>
    public static bool IsReclaimable(this CacheKind kind) => kind is CacheKind.Shrinkable or CacheKind.MemoryCacheShrinker;

    public static bool TryParse(string name, out CacheKind kind)
    {
        foreach ((CacheKind k, string n) in Names)
        {
            if (n == name)
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>The command line, parsed by hand.</summary>
internal sealed class WorkloadOptions
{
    public static readonly string Usage =
        $"usage: Reclaim.EndToEnd.Workload [--seconds S] [--cache {CacheKinds.AllNames}]\n" +
        "                                 [--size-limit BYTES] [--reclaim on|off]\n" +
        "                                 [--lower-limit-at S --lower-limit-to BYTES] [--threads N] [--keys N]\n" +
        "                                 [--seed N] [--log-runs] [--sampling-ms N] [--load-us N] [--watermarks T,S,D]\n" +
        "                                 [--admission second-miss-under-reclaim|always|second-miss]\n" +
        "  --size-limit: memorycache-sized only (and required there): its SizeLimit in bytes.\n" +
        "  --reclaim: on by default for the peers with a shrinker (shrinkable, memorycache-shrinker); the others have\n" +
        "             none, so a reclaimer would have nothing to ask: they accept only off.\n" +
        "  --admission: shrinkable only: its CacheAdmission (default second-miss-under-reclaim, the library's default).";

    private bool? _reclaim;

    /// <summary>How long the workload runs.</summary>
    public double Seconds { get; private set; } = 10;

    /// <summary>Whether a <c>Reclaimer</c> runs (off: the cache only grows, or holds to its own size limit).</summary>
    public bool Reclaim => _reclaim ?? Cache.IsReclaimable();

    /// <summary>The cache read through.</summary>
    public CacheKind Cache { get; private set; } = CacheKind.Shrinkable;

    /// <summary>The <c>SizeLimit</c> of <see cref="CacheKind.MemoryCacheSized"/> in bytes (0 for the other peers).</summary>
    public long SizeLimit { get; private set; }

    /// <summary>When to lower the GC heap hard limit (seconds from the start), or null for never.</summary>
    public double? LowerLimitAt { get; private set; }

    /// <summary>The heap hard limit to lower to, in bytes.</summary>
    public long LowerLimitTo { get; private set; }

    /// <summary>Worker threads.</summary>
    public int Threads { get; private set; } = 2;

    /// <summary>The key space (keys are drawn Zipf(0.9) over 0 .. Keys - 1).</summary>
    public long Keys { get; private set; } = 2_000_000;

    /// <summary>The seed of the workers' random generators (worker i uses Seed + i).</summary>
    public int Seed { get; private set; } = 12345;

    /// <summary>The reclaimer's sampling interval in milliseconds (investigation knob), or null for the library's default.</summary>
    public int? SamplingMilliseconds { get; private set; }

    /// <summary>The reclaimer's target, start and direct watermarks (investigation knob), or null for the library's defaults.</summary>
    public double[]? Watermarks { get; private set; }

    /// <summary>Microseconds each miss spins before its value is made (investigation knob: a slower back end, fewer inserts per second).</summary>
    public int LoadMicroseconds { get; private set; }

    /// <summary>The admission policy of <see cref="CacheKind.Shrinkable"/>, or null for the library's default.</summary>
    public CacheAdmission? Admission { get; private set; }

    /// <summary>Whether every background reclaim run is printed as a <c>run</c> line.</summary>
    public bool LogRuns { get; private set; }

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set when they are not valid.</summary>
    public static WorkloadOptions? Parse(string[] args, out string? error)
    {
        var options = new WorkloadOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--log-runs")
            {
                options.LogRuns = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return null;
            }

            string value = args[++i];
            bool ok = name switch
            {
                "--seconds" => TryPositiveDouble(value, out double seconds) && Set(() => options.Seconds = seconds),
                "--reclaim" => value is "on" or "off" && Set(() => options._reclaim = value == "on"),
                "--cache" => CacheKinds.TryParse(value, out CacheKind kind) && Set(() => options.Cache = kind),
                "--size-limit" => TryPositiveLong(value, out long sizeLimit) && Set(() => options.SizeLimit = sizeLimit),
                "--lower-limit-at" => TryPositiveDouble(value, out double at) && Set(() => options.LowerLimitAt = at),
                "--lower-limit-to" => TryPositiveLong(value, out long to) && Set(() => options.LowerLimitTo = to),
                "--threads" => TryPositiveLong(value, out long threads) && threads <= 64 && Set(() => options.Threads = (int)threads),
                "--keys" => TryPositiveLong(value, out long keys) && Set(() => options.Keys = keys),
                "--sampling-ms" => TryPositiveLong(value, out long sampling) && sampling <= 60_000 && Set(() => options.SamplingMilliseconds = (int)sampling),
                "--watermarks" => TryWatermarks(value, out double[]? marks) && Set(() => options.Watermarks = marks),
                "--admission" => TryAdmission(value, out CacheAdmission admission) && Set(() => options.Admission = admission),
                "--load-us" => TryPositiveLong(value, out long load) && load <= 1_000_000 && Set(() => options.LoadMicroseconds = (int)load),
                "--seed" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) && Set(() => options.Seed = seed),
                _ => false,
            };
            if (!ok)
            {
                error = $"bad option or value: {name} {value}";
                return null;
            }
        }

        if (options.LowerLimitAt.HasValue != (options.LowerLimitTo > 0))
        {
            error = "--lower-limit-at and --lower-limit-to go together";
            return null;
        }

        if ((options.Cache == CacheKind.MemoryCacheSized) != (options.SizeLimit > 0))
        {
            error = options.SizeLimit > 0
                ? $"--size-limit is for --cache memorycache-sized only, not {options.Cache.Name()}"
                : "--cache memorycache-sized needs --size-limit BYTES";
            return null;
        }

        if (options.Admission is not null && options.Cache != CacheKind.Shrinkable)
        {
            error = $"--admission is for --cache shrinkable only, not {options.Cache.Name()}";
            return null;
        }

        if (options._reclaim == true && !options.Cache.IsReclaimable())
        {
            error = $"--reclaim on: the {options.Cache.Name()} peer has no shrinker, so a reclaimer would have nothing to ask (it runs with --reclaim off)";
            return null;
        }

        return options;
    }

    private static bool Set(Action assign)
    {
        assign();
        return true;
    }

    private static bool TryAdmission(string text, out CacheAdmission admission)
    {
        admission = text switch
        {
            "second-miss-under-reclaim" => CacheAdmission.SecondMissUnderReclaim,
            "always" => CacheAdmission.Always,
            "second-miss" => CacheAdmission.SecondMiss,
            _ => (CacheAdmission)(-1),
        };
        return Enum.IsDefined(admission);
    }

    private static bool TryPositiveDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value > 0 && double.IsFinite(value);

    private static bool TryPositiveLong(string text, out long value)
    {
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        return ok && value > 0;
    }

    private static bool TryWatermarks(string value, out double[]? marks)
    {
        string[] parts = value.Split(',');
        marks = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out marks[i]))
            {
                return false;
            }
        }

        return marks.Length == 3;
    }
}
