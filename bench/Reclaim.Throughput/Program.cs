using System.Globalization;
using Reclaim.Throughput;

// Usage: dotnet run -c Release --project bench/Reclaim.Throughput -- [--seconds 3] [--sizes 1000,10000] [--scan-us 1]
// Prints a markdown report on stdout and progress on stderr.
var options = Options.Parse(args);
Console.Error.WriteLine("Machine: two unrelated busy threads");
(double SpeedKept, double Stalled) machine = Harness.MachineUnderLoad(options.Duration);
var rows = new List<Row>();
foreach (int size in options.Sizes)
{
    Measurement lockless = Measure(new LocklessTarget(), size, options);
    using var rwLockTarget = new RwLockTarget();
    Measurement rwLock = Measure(rwLockTarget, size, options);
    rows.Add(new Row(size, lockless, rwLock));
}

Report.Print(Console.Out, options, machine, rows);

static Measurement Measure(Target target, int size, Options options)
{
    target.Populate(size, options.ScanWork);

    // Warm up both roles first, so the JIT has tiered up the measured code.
    Harness.Run(target, churn: true, passes: true, options.Duration / 3);

    Console.Error.WriteLine($"{target.Name}, {size:N0} shrinkers: register+free alone");
    Rates churnAlone = Harness.Run(target, churn: true, passes: false, options.Duration);
    Console.Error.WriteLine($"{target.Name}, {size:N0} shrinkers: passes alone");
    Rates passesAlone = Harness.Run(target, churn: false, passes: true, options.Duration);
    Console.Error.WriteLine($"{target.Name}, {size:N0} shrinkers: both at once");
    Rates both = Harness.Run(target, churn: true, passes: true, options.Duration);
    target.Clear();
    return new Measurement(
        churnAlone.RegisterFree!.Value, passesAlone.Passes!.Value, both.RegisterFree!.Value, both.Passes!.Value, both.GcPause / options.Duration);
}

internal sealed record Options(TimeSpan Duration, int[] Sizes, TimeSpan ScanWork)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(TimeSpan.FromSeconds(3), [1_000, 10_000], TimeSpan.FromMicroseconds(1));
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            options = args[i] switch
            {
                "--seconds" => options with { Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--sizes" => options with { Sizes = [.. value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                "--scan-us" => options with { ScanWork = TimeSpan.FromMicroseconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --seconds S, --sizes N,N, --scan-us U."),
            };
        }

        return options;
    }
}
