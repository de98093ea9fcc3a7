using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reclaim.Units;

namespace Reclaim.Demo;

/// <summary>What the demo was asked to do: its command line, read and checked.</summary>
internal sealed record DemoOptions
{
    public const double DefaultSeconds = 30;
    public const long DefaultLimitBytes = 512 * ByteSize.MiB;
    public const long MinLimitBytes = 64 * ByteSize.MiB;
    public const int DefaultTenants = 4;
    public const int MaxTenants = 26;
    public const int DefaultThreads = 2;
    public const int MaxThreads = 64;

    /// <summary>How long the workload runs.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(DefaultSeconds);

    /// <summary>The memory limit the workload runs under.</summary>
    public long LimitBytes { get; init; } = DefaultLimitBytes;

    /// <summary>How many tenants the cache service has.</summary>
    public int Tenants { get; init; } = DefaultTenants;

    /// <summary>How many worker threads send requests.</summary>
    public int Threads { get; init; } = DefaultThreads;

    /// <summary>Whether the workload runs a <see cref="Reclaimer"/> (<c>--no-reclaim</c> turns it off).</summary>
    public bool Reclaim { get; init; } = true;

    /// <summary>Whether the parent shows the live view (when its output is a terminal; <c>--no-live</c> turns it off).</summary>
    public bool Live { get; init; } = true;

    /// <summary>Whether the limit is a child memory cgroup's rather than a GC heap hard limit.</summary>
    public bool Cgroup { get; init; }

    /// <summary>The seed of the workload's random generators.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Whether this process is the workload itself (the hidden <c>--worker</c> mode the parent starts).</summary>
    public bool Worker { get; init; }

    /// <summary>The arguments that start the workload with these options (the limit travels in the environment or the cgroup).</summary>
    public IReadOnlyList<string> WorkerArguments()
    {
        var arguments = new List<string>
        {
            "--worker",
            "--duration", Duration.TotalSeconds.ToString("R", CultureInfo.InvariantCulture),
            "--tenants", Tenants.ToString(CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(CultureInfo.InvariantCulture),
            "--seed", Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (!Reclaim)
        {
            arguments.Add("--no-reclaim");
        }

        return arguments;
    }
}

/// <summary>The command line (System.CommandLine): the options, their parsers with one-line errors, and <see cref="DemoOptions"/> from a parse.</summary>
internal sealed class DemoCommandLine
{
    private readonly Option<double> _duration = new("--duration")
    {
        Description = "How long the workload runs, in seconds.",
        HelpName = "seconds",
        DefaultValueFactory = _ => DemoOptions.DefaultSeconds,
        CustomParser = result => Parse<double>(result, "--duration", s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= 86_400 ? v : (double?)null,
            "a number of seconds above 0 and at most 86400, such as 30 or 2.5"),
    };

    // Nullable, without a default value factory, so that help shows the default as people write it (not 536870912).
    private readonly Option<long?> _limit = new("--limit")
    {
        Description = "The memory limit the workload runs under: 512MiB (the default), 1GiB, or bytes.",
        HelpName = "size",
        CustomParser = result =>
        {
            string token = result.Tokens[0].Value;
            if (!ByteSize.TryParse(token, out long bytes, out string? error))
            {
                result.AddError($"--limit: {error}");
                return null;
            }

            if (bytes < DemoOptions.MinLimitBytes)
            {
                result.AddError($"--limit must be at least {ByteSize.Format(DemoOptions.MinLimitBytes)} (the runtime needs room of its own), not {ByteSize.Format(bytes)}.");
                return null;
            }

            return bytes;
        },
    };

    private readonly Option<int> _tenants = new("--tenants")
    {
        Description = "How many tenants the cache service has, each with its own memory group and cache.",
        HelpName = "count",
        DefaultValueFactory = _ => DemoOptions.DefaultTenants,
        CustomParser = result => Whole(result, "--tenants", DemoOptions.MaxTenants),
    };

    private readonly Option<int> _threads = new("--threads")
    {
        Description = "How many worker threads send requests.",
        HelpName = "count",
        DefaultValueFactory = _ => DemoOptions.DefaultThreads,
        CustomParser = result => Whole(result, "--threads", DemoOptions.MaxThreads),
    };

    private readonly Option<bool> _noReclaim = new("--no-reclaim")
    {
        Description = "Run without a Reclaimer: see the out-of-memory death it prevents.",
    };

    private readonly Option<bool> _noLive = new("--no-live")
    {
        Description = "Print progress lines instead of the live view (also when the output is not a terminal).",
    };

    private readonly Option<bool> _cgroup = new("--cgroup")
    {
        Description = "Put the workload in a child memory cgroup with the limit (needs root or a delegated cgroup) instead of a GC heap hard limit.",
    };

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "The seed of the workload's random generators.",
        DefaultValueFactory = _ => 1,
        CustomParser = result => Parse(result, "--seed", s =>
            int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : (int?)null,
            "a whole number"),
    };

    private readonly Option<bool> _worker = new("--worker")
    {
        Description = "Run the workload itself in this process (what the demo starts as its child).",
        Hidden = true,
    };

    public DemoCommandLine()
    {
        Root = new RootCommand(
            "The Reclaim demo: a multi-tenant cache service runs in a child process under a memory limit, its caches " +
            "reclaimed by Reclaim with nothing tuned by hand; watch it stay alive (or, with --no-reclaim, die).")
        {
            _duration, _limit, _tenants, _threads, _noReclaim, _noLive, _cgroup, _seed, _worker,
        };
    }

    /// <summary>The root command; give it an action, then invoke a parse of it.</summary>
    public RootCommand Root { get; }

    /// <summary>Parses <paramref name="args"/>.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args);

    /// <summary>The first thing wrong with a parse, as one line; null when there is nothing.</summary>
    public static string? Error(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count > 0)
        {
            return $"unrecognized argument '{parse.UnmatchedTokens[0]}'. See --help.";
        }

        return parse.Errors.Count > 0 ? $"{parse.Errors[0].Message.TrimEnd('.')}. See --help." : null;
    }

    /// <summary>The options of a parse without errors.</summary>
    public DemoOptions Read(ParseResult parse) => new()
    {
        Duration = TimeSpan.FromSeconds(parse.GetValue(_duration)),
        LimitBytes = parse.GetValue(_limit) ?? DemoOptions.DefaultLimitBytes,
        Tenants = parse.GetValue(_tenants),
        Threads = parse.GetValue(_threads),
        Reclaim = !parse.GetValue(_noReclaim),
        Live = !parse.GetValue(_noLive),
        Cgroup = parse.GetValue(_cgroup),
        Seed = parse.GetValue(_seed),
        Worker = parse.GetValue(_worker),
    };

    /// <summary>Parses <paramref name="args"/> into options, or says what is wrong (for the tests and for callers without an action).</summary>
    public static DemoOptions? TryParse(IReadOnlyList<string> args, out string? error)
    {
        var commandLine = new DemoCommandLine();
        ParseResult parse = commandLine.Parse(args);
        error = Error(parse);
        return error is null ? commandLine.Read(parse) : null;
    }

    private static int Whole(ArgumentResult result, string name, int max) =>
        Parse(result, name, s =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1 && v <= max ? v : (int?)null,
            $"a whole number from 1 to {max}");

    private static T Parse<T>(ArgumentResult result, string name, Func<string, T?> parse, string expected)
        where T : struct
    {
        string token = result.Tokens[0].Value;
        if (parse(token) is { } value)
        {
            return value;
        }

        result.AddError($"{name} must be {expected}, not '{token}'.");
        return default;
    }
}
