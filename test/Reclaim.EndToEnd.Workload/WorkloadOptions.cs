using System.Globalization;

namespace Reclaim.EndToEnd.Workload;

/// <summary>Which cache the workload reads through.</summary>
internal enum CacheKind
{
    /// <summary>A <c>ShrinkableCache&lt;long, byte[]&gt;</c> with a weigher (value length + 64 bytes).</summary>
    Shrinkable,

    /// <summary>A <c>MemoryCache</c> without a size limit, made reclaimable by a <c>MemoryCacheShrinker</c>.</summary>
    MemoryCache,
}

/// <summary>The command line, parsed by hand.</summary>
internal sealed class WorkloadOptions
{
    public const string Usage =
        "usage: Reclaim.EndToEnd.Workload [--seconds S] [--reclaim on|off] [--cache shrinkable|memorycache]\n" +
        "                                 [--lower-limit-at S --lower-limit-to BYTES] [--threads N] [--keys N]\n" +
        "                                 [--seed N] [--log-runs] [--sampling-ms N] [--load-us N]";

    /// <summary>How long the workload runs.</summary>
    public double Seconds { get; private set; } = 10;

    /// <summary>Whether a <c>Reclaimer</c> runs (off: the cache only grows).</summary>
    public bool Reclaim { get; private set; } = true;

    /// <summary>The cache read through.</summary>
    public CacheKind Cache { get; private set; } = CacheKind.Shrinkable;

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
                "--reclaim" => value is "on" or "off" && Set(() => options.Reclaim = value == "on"),
                "--cache" => value is "shrinkable" or "memorycache" &&
                             Set(() => options.Cache = value == "shrinkable" ? CacheKind.Shrinkable : CacheKind.MemoryCache),
                "--lower-limit-at" => TryPositiveDouble(value, out double at) && Set(() => options.LowerLimitAt = at),
                "--lower-limit-to" => TryPositiveLong(value, out long to) && Set(() => options.LowerLimitTo = to),
                "--threads" => TryPositiveLong(value, out long threads) && threads <= 64 && Set(() => options.Threads = (int)threads),
                "--keys" => TryPositiveLong(value, out long keys) && Set(() => options.Keys = keys),
                "--sampling-ms" => TryPositiveLong(value, out long sampling) && sampling <= 60_000 && Set(() => options.SamplingMilliseconds = (int)sampling),
                "--watermarks" => TryWatermarks(value, out double[]? marks) && Set(() => options.Watermarks = marks),
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

        return options;
    }

    private static bool Set(Action assign)
    {
        assign();
        return true;
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
