using System.Globalization;
using System.Runtime.InteropServices;
using Reclaim.Units;

namespace Reclaim.PressureBench;

/// <summary>The machine a report was taken on: cores, memory, CPU, OS, runtime, load.</summary>
internal sealed record MachineInfo(int Cores, long MemoryBytes, string Cpu, string OperatingSystem, string Runtime, string LoadAverage)
{
    /// <summary>Reads this machine.</summary>
    public static MachineInfo Read() => new(
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        ReadCpu(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        ReadLoadAverage());

    /// <summary>The 1, 5 and 15 minute load averages (/proc/loadavg), or "unknown".</summary>
    public static string ReadLoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Length >= 3 ? $"{parts[0]} {parts[1]} {parts[2]}" : "unknown";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string ReadCpu()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Cores} cores ({Cpu}), {ByteSize.Format(MemoryBytes)}, {OperatingSystem}, {Runtime}");
}
