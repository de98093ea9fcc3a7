using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reclaim.Units;

namespace Reclaim.PressureBench;

/// <summary>
/// The command line (System.CommandLine): every option, its default and its validation, turned into
/// <see cref="BenchOptions"/>. <see cref="Program"/> runs what it parses; the tests parse through it too.
/// </summary>
internal sealed class BenchCommand
{
    // The options whose default the help would print badly (objects, long paths, bytes) have none here: Read supplies it.
    private readonly Option<long?> _limit = new("--limit")
    {
        Description = "The memory limit of every run: 512MiB, 1GiB or bytes. A GC heap hard limit (DOTNET_GCHeapHardLimit), or with --cgroup a cgroup's memory limit. Default 512MiB.",
        CustomParser = result => ParseSize(result, "--limit", min: 64 * ByteSize.MiB),
    };

    private readonly Option<double> _seconds = new("--seconds")
    {
        Description = "Seconds per run.",
        DefaultValueFactory = _ => 30,
        CustomParser = result => ParseDouble(result, "--seconds", min: 1, max: 3600),
    };

    private readonly Option<IReadOnlyList<Peer>> _peers = new("--peers")
    {
        Description = $"The peers to run, comma-separated (default all): {string.Join(", ", Peer.All.Select(p => p.Name))}.",
        CustomParser = ParsePeers,
    };

    private readonly Option<IReadOnlyList<double>> _sizeLimits = new("--size-limits")
    {
        Description = "memorycache-sized's SizeLimits as fractions of --limit, comma-separated (0.35 or 35%). Default 0.20,0.35,0.50,0.65.",
        CustomParser = ParseFractions,
    };

    private readonly Option<bool> _cgroup = new("--cgroup")
    {
        Description = "Run each child in a new memory cgroup (v1 memory.limit_in_bytes, v2 memory.max) under this process's own, with --limit; no heap hard limit is set (the runtime takes 75% of the cgroup's). Skipped, with the reason, where that is not permitted.",
    };

    private readonly Option<PhaseChoice> _phase = new("--phase")
    {
        Description = "steady (the limit stays), lowered (it drops by a third at half time) or both. Default steady.",
        HelpName = "steady|lowered|both",
        CustomParser = result => result.Tokens[0].Value.ToUpperInvariant() switch
        {
            "STEADY" => PhaseChoice.Steady,
            "LOWERED" => PhaseChoice.Lowered,
            "BOTH" => PhaseChoice.Both,
            _ => Error(result, $"--phase must be steady, lowered or both; '{result.Tokens[0].Value}' is not.", PhaseChoice.Steady),
        },
    };

    private readonly Option<int> _repeat = new("--repeat")
    {
        Description = "Runs per peer and phase (the table gives the median and the survivals).",
        DefaultValueFactory = _ => 1,
        CustomParser = result => (int)ParseLong(result, "--repeat", 1, 100),
    };

    private readonly Option<string> _out = new("--out")
    {
        Description = "Directory for the report (pressure-<date>.md) and the charts.",
        DefaultValueFactory = _ => Path.Combine("bench", "results"),
    };

    private readonly Option<int> _threads = new("--threads")
    {
        Description = "The workload's worker threads.",
        DefaultValueFactory = _ => 2,
        CustomParser = result => (int)ParseLong(result, "--threads", 1, 64),
    };

    private readonly Option<long> _keys = new("--keys")
    {
        Description = "The workload's key space (Zipf 0.9 over it).",
        DefaultValueFactory = _ => 2_000_000,
        CustomParser = result => ParseLong(result, "--keys", 1, long.MaxValue / 2),
    };

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "The workload's seed (worker i uses seed + i).",
        DefaultValueFactory = _ => 12345,
        CustomParser = result => (int)ParseLong(result, "--seed", int.MinValue, int.MaxValue),
    };

    private readonly Option<int> _loadUs = new("--load-us")
    {
        Description = "Microseconds each miss spins before its value is made (a slower back end).",
        DefaultValueFactory = _ => 0,
        CustomParser = result => (int)ParseLong(result, "--load-us", 0, 1_000_000),
    };

    private readonly Option<string?> _workload = new("--workload")
    {
        Description = "The workload's dll (default: the one built beside this project).",
    };

    private readonly Option<string?> _note = new("--note")
    {
        Description = "A line for the report's machine section (what else ran meanwhile, for instance).",
    };

    public BenchCommand()
    {
        Root = new RootCommand(
            "The end-to-end pressure benchmark: the same cache workload, one child process per peer cache, under the same memory " +
            "limit; writes a markdown report and PNG charts.")
        {
            _limit, _seconds, _peers, _sizeLimits, _cgroup, _phase, _repeat, _out, _threads, _keys, _seed, _loadUs, _workload, _note,
        };
    }

    /// <summary>The root command (its action is set by <see cref="Program"/>).</summary>
    public RootCommand Root { get; }

    /// <summary>Parses <paramref name="args"/>: the options, or null with every error.</summary>
    public BenchOptions? Parse(string[] args, out IReadOnlyList<string> errors)
    {
        ParseResult result = Root.Parse(args);
        errors = [.. result.Errors.Select(e => e.Message)];
        return errors.Count > 0 ? null : Read(result);
    }

    /// <summary>The options of a parse without errors.</summary>
    public BenchOptions Read(ParseResult result) => new()
    {
        Limit = result.GetValue(_limit) ?? 512 * ByteSize.MiB,
        Seconds = result.GetValue(_seconds),
        Peers = result.GetValue(_peers) ?? Peer.All,
        SizeFractions = result.GetValue(_sizeLimits) ?? BenchOptions.DefaultSizeFractions,
        Cgroup = result.GetValue(_cgroup),
        PhaseSelection = result.GetValue(_phase),
        Repeat = result.GetValue(_repeat),
        OutputDirectory = result.GetValue(_out) ?? Path.Combine("bench", "results"),
        Threads = result.GetValue(_threads),
        Keys = result.GetValue(_keys),
        Seed = result.GetValue(_seed),
        LoadMicroseconds = result.GetValue(_loadUs),
        WorkloadDll = result.GetValue(_workload) ?? WorkloadHost.DefaultWorkloadDll,
        Note = result.GetValue(_note),
    };

    private static T Error<T>(ArgumentResult result, string message, T value)
    {
        result.AddError(message);
        return value;
    }

    private static long? ParseSize(ArgumentResult result, string name, long min)
    {
        string token = result.Tokens[0].Value;
        if (!ByteSize.TryParse(token, out long bytes, out string? error))
        {
            return Error(result, $"{name}: {error}", (long?)null);
        }

        // ByteSize reads any size from 0 up: the option's minimum (which also refuses 0) is checked here.

        return bytes < min ? Error(result, $"{name} must be at least {ByteSize.Format(min)}; '{token}' is {ByteSize.Format(bytes)}.", (long?)null) : bytes;
    }

    private static double ParseDouble(ArgumentResult result, string name, double min, double max)
    {
        string token = result.Tokens[0].Value;
        return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max
            ? value
            : Error(result, $"{name} must be a number from {min} to {max}; '{token}' is not.", 0d);
    }

    private static long ParseLong(ArgumentResult result, string name, long min, long max)
    {
        string token = result.Tokens[0].Value;
        return long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : Error(result, $"{name} must be a whole number from {min} to {max}; '{token}' is not.", 0L);
    }

    private static IReadOnlyList<Peer> ParsePeers(ArgumentResult result)
    {
        var peers = new List<Peer>();
        foreach (string name in Words(result))
        {
            if (Peer.Find(name) is not { } peer)
            {
                return Error(result, $"--peers: unknown peer '{name}'; the peers are {string.Join(", ", Peer.All.Select(p => p.Name))}.", (IReadOnlyList<Peer>)[]);
            }

            if (!peers.Contains(peer))
            {
                peers.Add(peer);
            }
        }

        if (peers.Count == 0)
        {
            return Error(result, "--peers needs at least one peer.", (IReadOnlyList<Peer>)[]);
        }

        // The benchmark's order, whatever the command line's.
        return [.. Peer.All.Where(peers.Contains)];
    }

    private static IReadOnlyList<double> ParseFractions(ArgumentResult result)
    {
        var fractions = new List<double>();
        foreach (string word in Words(result))
        {
            bool percent = word.EndsWith('%');
            string number = percent ? word[..^1] : word;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                return Error(result, $"--size-limits: '{word}' is not a fraction (0.35) or a percentage (35%).", (IReadOnlyList<double>)[]);
            }

            value = percent ? value / 100 : value;
            if (value is <= 0 or > 1)
            {
                return Error(result, $"--size-limits: '{word}' is not a fraction of the limit above 0 and at most 1.", (IReadOnlyList<double>)[]);
            }

            fractions.Add(value);
        }

        return fractions.Count == 0
            ? Error(result, "--size-limits needs at least one fraction.", (IReadOnlyList<double>)[])
            : [.. fractions.Distinct().Order()];
    }

    private static IEnumerable<string> Words(ArgumentResult result) =>
        result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
