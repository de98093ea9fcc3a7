using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reclaim.Tool.Commands;
using Reclaim.Tool.Output;
using Reclaim.Tool.Targets;
using Reclaim.Tool.Top;
using Reclaim.Units;

namespace Reclaim.Tool;

/// <summary>
/// The command tree, and nothing else: each command's arguments and options, and an action that reads them and calls
/// its handler (a plain method in its own class, under <c>Commands/</c>) through <see cref="ToolRunner"/>.
/// </summary>
internal static class Program
{
    private static Task<int> Main(string[] args) => ToolRunner.InvokeAsync(args, ToolContext.CreateDefault());

    /// <summary>The command tree, its actions writing to <paramref name="context"/>.</summary>
    /// <param name="context">Where the handlers write.</param>
    /// <returns>The root command.</returns>
    internal static RootCommand BuildCommandTree(ToolContext context)
    {
        var root = new RootCommand(
            "Inspect and drive the shrinkers of a running .NET process that uses Reclaim, through its debug endpoint " +
            "(start the process with RECLAIM_DIAGNOSTICS=1).");
        root.Subcommands.Add(Ps(context));
        root.Subcommands.Add(List(context));
        root.Subcommands.Add(Count(context));
        root.Subcommands.Add(Scan(context));
        root.Subcommands.Add(DropCaches(context));
        root.Subcommands.Add(Groups(context));
        root.Subcommands.Add(SetGroup(context));
        root.Subcommands.Add(Stat(context));
        root.Subcommands.Add(TopView(context));
        return root;
    }

    private static Command Ps(ToolContext context)
    {
        Option<bool> json = Json();
        var command = new Command("ps", "List the processes that have a Reclaim debug endpoint: id, name, endpoint, command line.") { json };
        command.SetAction((parse, ct) => ToolRunner.RunAsync(context, _ => Task.FromResult(new PsCommand(context).Run(parse.GetValue(json))), ct));
        return command;
    }

    private static Command List(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var command = target.AddTo(new Command("list", "List every registered shrinker (name-id) with its flags, settings and statistics.") { json });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(context, t => new ListCommand(context).RunAsync(target.Read(parse), parse.GetValue(json), t), ct));
        return command;
    }

    private static Command Count(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var shrinker = new Argument<string>("shrinker") { Description = "The shrinker's debug name, name-id, as 'list' shows it." };
        var command = target.AddTo(new Command(
            "count",
            "Print a shrinker's objects as the kernel's debugfs count file does: '<group id> <count on node 0> ...' per group with objects.")
        {
            shrinker, json,
        });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(
            context, t => new CountCommand(context).RunAsync(target.Read(parse), parse.GetValue(shrinker)!, parse.GetValue(json), t), ct));
        return command;
    }

    private static Command Scan(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var shrinker = new Argument<string>("shrinker") { Description = "The shrinker's debug name, name-id, as 'list' shows it." };
        Argument<long> group = CountArgument("group-id", "The memory group id; 0 for a shrinker that is not group-aware.");
        Argument<int> node = NodeArgument("node", "The node (0 unless the shrinker is node-aware).");
        Argument<long> count = CountArgument("nr-to-scan", "How many objects to ask for; 0 does nothing.");
        var command = target.AddTo(new Command(
            "scan",
            "Call a shrinker's scan callback once, as writing '<group> <node> <nr>' to the kernel's debugfs scan file does (no count, no batching, no deferral).")
        {
            shrinker, group, node, count, json,
        });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(
            context,
            t => new ScanCommand(context).RunAsync(
                target.Read(parse), parse.GetValue(shrinker)!, parse.GetValue(group), parse.GetValue(node), parse.GetValue(count), parse.GetValue(json), t),
            ct));
        return command;
    }

    private static Command DropCaches(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var command = target.AddTo(new Command("drop-caches", "Free everything every shrinker will give, as 'echo 2 > /proc/sys/vm/drop_caches'.") { json });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(context, t => new DropCachesCommand(context).RunAsync(target.Read(parse), parse.GetValue(json), t), ct));
        return command;
    }

    private static Command Groups(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var command = target.AddTo(new Command("groups", "Show the memory group tree with each group's usage, high and max.") { json });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(context, t => new GroupsCommand(context).RunAsync(target.Read(parse), parse.GetValue(json), t), ct));
        return command;
    }

    private static Command SetGroup(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var group = new Argument<string>("group") { Description = "The group: its id, or its path (/tenant-a), as 'groups' shows them." };
        Option<long?> high = Limit("--high", "The soft limit: reclaim the group's subtree above it. Bytes, a size (64MiB, 1.5G) or max.");
        Option<long?> max = Limit("--max", "The hard limit: no charge crosses it. Bytes, a size (64MiB, 1.5G) or max.");
        var command = target.AddTo(new Command("set-group", "Set a memory group's high and/or max limit.") { group, high, max, json });
        command.Validators.Add(result =>
        {
            if (result.GetResult(high) is null && result.GetResult(max) is null)
            {
                result.AddError("Give --high, --max or both.");
            }
        });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(
            context,
            t => new SetGroupCommand(context).RunAsync(target.Read(parse), parse.GetValue(group)!, parse.GetValue(high), parse.GetValue(max), parse.GetValue(json), t),
            ct));
        return command;
    }

    private static Command Stat(ToolContext context)
    {
        var target = new TargetSymbols();
        Option<bool> json = Json();
        var command = target.AddTo(new Command(
            "stat", "Show the process's registry and reclaimer: limit and its source, usage, watermarks, pressure level, recent reclaim runs.") { json });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(context, t => new StatCommand(context).RunAsync(target.Read(parse), parse.GetValue(json), t), ct));
        return command;
    }

    private static Command TopView(ToolContext context)
    {
        var target = new TargetSymbols();
        var interval = new Option<TimeSpan>("--interval", "-i")
        {
            Description = "Time between refreshes: seconds (1, 0.5) or milliseconds (250ms). Default 1 s.",
            DefaultValueFactory = _ => TopOptions.DefaultInterval,
            CustomParser = result =>
            {
                if (!Interval.TryParse(result.Tokens[0].Value, out TimeSpan value, out string? error))
                {
                    result.AddError(error);
                }
                else if (value < TopOptions.MinInterval)
                {
                    result.AddError($"--interval must be at least {TopOptions.MinInterval.TotalMilliseconds:0} ms.");
                }

                return value;
            },
        };
        var sort = new Option<string>("--sort", "-s")
        {
            Description = "The column to sort by, largest first; o f d e t change it while running.",
            DefaultValueFactory = _ => TopSorts.Name(TopSort.Objects),
        };
        sort.AcceptOnlyFromAmong(TopSorts.Names);
        Option<int?> iterations = new("--iterations")
        {
            Description = "Stop after this many refreshes (default: run until q or Ctrl+C).",
            CustomParser = result =>
            {
                int? value = (int?)ParseCount(result, result.Tokens[0].Value, "--iterations", int.MaxValue);
                if (value is 0)
                {
                    result.AddError("--iterations must be at least 1.");
                }

                return value;
            },
        };
        var command = target.AddTo(new Command(
            "top",
            "Watch every shrinker live, as slabtop does: objects, freed per second, deferred, errors, callback time, and memory against the limit. " +
            "Keys: o f d e t sort, q quits.")
        {
            interval, sort, iterations,
        });
        command.SetAction((parse, ct) => ToolRunner.RunAsync(
            context,
            t => new TopCommand(context).RunAsync(
                target.Read(parse), new TopOptions(parse.GetValue(interval), TopSorts.Parse(parse.GetValue(sort)!), parse.GetValue(iterations)), t),
            ct));
        return command;
    }

    private static Option<bool> Json() => new("--json") { Description = "Print the answer as JSON (the endpoint's result object), for scripts." };

    private static Option<long?> Limit(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            if (ByteSize.TryParseLimit(result.Tokens[0].Value, out long bytes, out string? error))
            {
                return bytes;
            }

            result.AddError($"{name}: {error}");
            return null;
        },
    };

    /// <summary>A whole number from 0 to <paramref name="max"/>, with a message that says so (not the parser's type names).</summary>
    private static long? ParseCount(SymbolResult result, string token, string name, long max)
    {
        if (long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= max)
        {
            return value;
        }

        result.AddError($"{name} must be a whole number from 0 to {max.ToString(CultureInfo.InvariantCulture)}; '{token}' is not.");
        return null;
    }

    private static Argument<long> CountArgument(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => ParseCount(result, result.Tokens[0].Value, $"<{name}>", long.MaxValue) ?? 0,
    };

    private static Argument<int> NodeArgument(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => (int)(ParseCount(result, result.Tokens[0].Value, $"<{name}>", int.MaxValue) ?? 0),
    };

    /// <summary>The options that choose the process, as dotnet-counters has them; one set per command.</summary>
    private sealed class TargetSymbols
    {
        private readonly Option<int?> _processId = new("--process-id", "-p")
        {
            Description = "The id of the process to connect to.",
            CustomParser = result => (int?)ParseCount(result, result.Tokens[0].Value, "--process-id", int.MaxValue),
        };

        private readonly Option<string?> _name = new("--name", "-n")
        {
            Description = "The name of the process to connect to (its process name, or for 'dotnet app.dll' the app's name, app).",
        };

        private readonly Option<string?> _endpoint = new("--endpoint")
        {
            Description = "Connect to this socket path (a pipe name on Windows) instead of finding the process's endpoint.",
        };

        public Command AddTo(Command command)
        {
            command.Options.Add(_processId);
            command.Options.Add(_name);
            command.Options.Add(_endpoint);
            command.Validators.Add(result =>
            {
                int given = (result.GetResult(_processId) is null ? 0 : 1) + (result.GetResult(_name) is null ? 0 : 1) + (result.GetResult(_endpoint) is null ? 0 : 1);
                if (given > 1)
                {
                    result.AddError("Give one of --process-id, --name and --endpoint, not several.");
                }
            });
            return command;
        }

        public TargetOptions Read(ParseResult parse) => new(parse.GetValue(_processId), parse.GetValue(_name), parse.GetValue(_endpoint));
    }
}
