using System.Diagnostics;
using System.Globalization;
using Reclaim.Samples;

namespace Reclaim.Soak;

/// <summary>
/// The soak harness (see README.md). Exit codes: 0 every invariant held; 1 an invariant broke (the report says which);
/// 2 bad arguments; 3 the re-launched child could not be started.
/// </summary>
internal static class Program
{
    private const string HeapLimitVariable = "DOTNET_GCHeapHardLimit";

    private static int Main(string[] args)
    {
        SoakOptions? options = SoakOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(SoakOptions.Usage);
            return 2;
        }

        if (!options.NoRelaunch && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HeapLimitVariable)))
        {
            return Relaunch(args, options.HeapLimit);
        }

        using var run = new SoakRun(options);
        return run.Execute();
    }

    /// <summary>Runs this program again as a child under the heap limit, its output going straight to ours.</summary>
    private static int Relaunch(string[] args, long heapLimit)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase);
        string[] arguments = viaDotnet ? [typeof(Program).Assembly.Location, .. args] : args;
        string limit = "0x" + heapLimit.ToString("X", CultureInfo.InvariantCulture);
        ProcessStartInfo info = ChildProcess.StartInfo(host, arguments, [new(HeapLimitVariable, limit), new("DOTNET_gcServer", "0")]);
        info.RedirectStandardOutput = false;
        info.RedirectStandardError = false;
        Console.WriteLine($"soak relaunch {HeapLimitVariable}={limit} {host} {string.Join(' ', arguments)}");
        try
        {
            using Process child = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null.");
            child.WaitForExit();
            return child.ExitCode;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"Could not re-launch under {HeapLimitVariable}: {ex.Message}. Set it yourself, or pass --no-relaunch.");
            return 3;
        }
    }
}
