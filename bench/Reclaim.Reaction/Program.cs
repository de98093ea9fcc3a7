using System.Globalization;
using Reclaim.Reaction;

// Usage: dotnet run -c Release --project bench/Reclaim.Reaction -- [--trials 20] [--seconds 5] [--out bench/results/reaction-<date>.md] [--part all|reaction|idle|kernel]
// Prints a markdown report on stdout (and to --out) and progress on stderr.
var options = Options.Parse(args);
string started = TimeProvider.System.GetLocalNow().ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
string loadBefore = Report.Load();

var reactions = new List<ReactionResult>();
if (options.Part is "all" or "reaction")
{
    Console.Error.WriteLine("Reaction: warming up");
    ReactionBench.WarmUp(5);
    foreach (ReactionConfig config in ReactionBench.Configs())
    {
        Console.Error.WriteLine($"Reaction: {config.Name}");
        reactions.Add(ReactionBench.Run(config, options.Trials));
    }
}

var idle = new List<IdleResult>();
IReadOnlyList<CallCost> calls = [];
(Reclaim.Pressure.MemoryUsage, Reclaim.Pressure.MemoryLimit)? reading = null;
if (options.Part is "all" or "idle")
{
    Console.Error.WriteLine("Idle: warming up the sampling step");
    IdleBench.WarmUp();
    foreach (IdleConfig config in IdleBench.Configs())
    {
        Console.Error.WriteLine($"Idle: {config.Name}");
        idle.Add(IdleBench.Measure(config, options.Duration));
    }

    Console.Error.WriteLine("Idle: one reading's cost");
    calls = IdleBench.MeasureCalls(TimeSpan.FromMilliseconds(400));
    reading = IdleBench.Reading();
}

string kernel = string.Empty;
if (options.Part is "all" or "kernel")
{
    Console.Error.WriteLine("Kernel pressure: PSI");
    kernel = KernelPressureBench.Run(Math.Min(options.Trials, 5));
}

string header = Report.Invariant(
    $"{started}. {Report.Machine()}. Load average (1, 5, 15 min) at the start: {loadBefore}; at the end: {Report.Load()}. Options: --trials {options.Trials} --seconds {options.Duration.TotalSeconds:0.#}.");
using var text = new StringWriter(CultureInfo.InvariantCulture);
Report.Print(text, options, header, reactions, idle, calls, reading);
text.WriteLine();
text.Write(kernel);
Console.Out.Write(text.ToString());
if (options.Out is { } path)
{
    string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
    if (directory is not null)
    {
        Directory.CreateDirectory(directory);
    }

    File.WriteAllText(path, text.ToString());
    Console.Error.WriteLine($"Written to {path}");
}

internal sealed record Options(int Trials, TimeSpan Duration, string? Out, string Part)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(20, TimeSpan.FromSeconds(5), null, "all");
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            options = args[i] switch
            {
                "--trials" => options with { Trials = int.Parse(value, CultureInfo.InvariantCulture) },
                "--seconds" => options with { Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--out" => options with { Out = value },
                "--part" when value is "all" or "reaction" or "idle" or "kernel" => options with { Part = value },
                _ => throw new ArgumentException($"Unknown option '{args[i]} {value}'. Options: --trials N, --seconds S, --out FILE, --part all|reaction|idle|kernel."),
            };
        }

        if (args.Length % 2 != 0)
        {
            throw new ArgumentException($"Option '{args[^1]}' needs a value.");
        }

        return options;
    }
}
