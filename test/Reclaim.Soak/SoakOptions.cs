using System.Globalization;

namespace Reclaim.Soak;

/// <summary>The command line: <c>--seconds N</c> (600), <c>--seed N</c>, <c>--heap-limit BYTES</c> (0x10000000), <c>--no-relaunch</c>, <c>--allow-no-limit</c>.</summary>
internal sealed class SoakOptions
{
    public const string Usage =
        "usage: Reclaim.Soak [--seconds N (600)] [--seed N] [--heap-limit BYTES|0xHEX (0x10000000)] [--no-relaunch] [--allow-no-limit] [--hold-freed] [--skip holders,charges,groups,cache,reclaim,endpoint]";

    /// <summary>How long the soak runs.</summary>
    public int Seconds { get; init; } = 600;

    /// <summary>The seed of every worker's random numbers (worker i uses seed + i).</summary>
    public int Seed { get; init; } = Environment.ProcessId;

    /// <summary>The heap hard limit the soak re-launches itself under when the environment sets none.</summary>
    public long HeapLimit { get; init; } = 0x10000000;

    /// <summary>Run in this process even without a heap limit (no re-launch).</summary>
    public bool NoRelaunch { get; init; }

    /// <summary>Do not fail when the reclaimer finds no GC heap hard limit (for runs by hand in a container).</summary>
    public bool AllowNoLimit { get; init; }

    /// <summary>
    /// Keep the first freed shrinker referenced for the whole run, as an owner that keeps a disposed object would
    /// (<c>--hold-freed</c>): shows what a freed shrinker keeps alive (see README, "Found").
    /// </summary>
    public bool HoldFreed { get; init; }

    /// <summary>Kinds of workers not to start (<c>--skip holders,endpoint</c>): for narrowing down a failure.</summary>
    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Seconds between invariant checks: about 40 per run, 1 to 5 s apart.</summary>
    public double CheckInterval => Math.Clamp(Seconds / 40.0, 1, 5);

    /// <summary>Seconds between memory samples: about 100 per run, 0.5 to 5 s apart.</summary>
    public double SampleInterval => Math.Clamp(Seconds / 100.0, 0.5, 5);

    public static SoakOptions? Parse(string[] args, out string? error)
    {
        error = null;
        int seconds = 600;
        int seed = Environment.ProcessId;
        long heapLimit = 0x10000000;
        bool noRelaunch = false;
        bool allowNoLimit = false;
        var skip = new HashSet<string>(StringComparer.Ordinal);
        bool holdFreed = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--seconds":
                    if (!int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds < 1)
                    {
                        error = "--seconds needs a whole number of seconds, at least 1.";
                        return null;
                    }

                    break;
                case "--seed":
                    if (!int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                    {
                        error = "--seed needs a whole number.";
                        return null;
                    }

                    break;
                case "--heap-limit":
                    string? text = Next();
                    bool parsed = text is not null && (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                        ? long.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out heapLimit)
                        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out heapLimit));
                    if (!parsed || heapLimit < 64L * 1024 * 1024)
                    {
                        error = "--heap-limit needs a byte count (decimal or 0x hexadecimal) of at least 64 MiB.";
                        return null;
                    }

                    break;
                case "--no-relaunch":
                    noRelaunch = true;
                    break;
                case "--skip":
                    foreach (string kind in (Next() ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        skip.Add(kind);
                    }

                    break;
                case "--hold-freed":
                    holdFreed = true;
                    break;
                case "--allow-no-limit":
                    allowNoLimit = true;
                    break;
                default:
                    error = $"Unknown argument '{arg}'.";
                    return null;
            }
        }

        return new SoakOptions { Seconds = seconds, Seed = seed, HeapLimit = heapLimit, NoRelaunch = noRelaunch, AllowNoLimit = allowNoLimit, Skip = skip, HoldFreed = holdFreed };
    }
}
