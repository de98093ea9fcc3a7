using System.Reflection;
using System.Runtime.InteropServices;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Pressure;

namespace Reclaim.Diagnostics.Internal;

// stat and version.
internal sealed partial class CommandHandler
{
    private static readonly string s_packageVersion = ReadPackageVersion();

    private StatResult Stat()
    {
        int groups = 0;
        foreach (Groups.MemoryGroup _ in GroupWalk.PreOrder(registry.Root))
        {
            groups++;
        }

        return new StatResult
        {
            ProcessId = Environment.ProcessId,
            ProcessName = ProcessInfo.CurrentName,
            NodeCount = registry.NodeCount,
            Shrinkers = registry.RegisteredCount,
            Groups = groups,
            ChargedBytes = registry.Root.Usage,
            Reclaimer = reclaimer is null ? null : DescribeReclaimer(reclaimer),
        };
    }

    private ReclaimerInfo DescribeReclaimer(Reclaimer r)
    {
        MemoryLimit limit = r.Limit;
        MemoryUsage usage = r.ReadUsage();
        var sources = new List<PressureSourceInfo>();
        foreach (MemoryPressureSourceStatus source in r.Sources)
        {
            sources.Add(new PressureSourceInfo { Name = source.Name, Active = source.IsActive, UnsupportedReason = source.UnsupportedReason });
        }

        return new ReclaimerInfo
        {
            Running = r.IsRunning,
            Limit = new LimitInfo { Bytes = limit.Bytes, Source = WireNames.Of(limit.Source) },
            Usage = new UsageInfo
            {
                Bytes = usage.Bytes,
                ManagedHeapBytes = usage.ManagedHeapBytes,
                CgroupBytes = usage.CgroupBytes,
                ChargedBytes = usage.ChargedBytes,
            },
            Watermarks = new WatermarksInfo
            {
                Target = r.TargetWatermark,
                Start = r.StartWatermark,
                Direct = r.DirectWatermark,
                TargetBytes = (long)(limit.Bytes * r.TargetWatermark),
                StartBytes = (long)(limit.Bytes * r.StartWatermark),
                DirectBytes = (long)(limit.Bytes * r.DirectWatermark),
            },
            Level = WireNames.Of(r.Level),
            RunCount = r.RunCount,
            InducedCollections = r.InducedCollectionCount,
            Sources = sources,
            RecentRuns = history?.Snapshot() ?? [],
        };
    }

    private static VersionResult GetVersion(bool readOnly) => new()
    {
        Protocol = DiagnosticProtocol.Version,
        Protocols = DiagnosticProtocol.SupportedVersions,
        Package = s_packageVersion,
        Runtime = RuntimeInformation.FrameworkDescription,
        ProcessId = Environment.ProcessId,
        ProcessName = ProcessInfo.CurrentName,
        ReadOnly = readOnly,
    };

    private VersionResult GetVersion() => GetVersion(readOnly);

    private static string ReadPackageVersion()
    {
        Assembly assembly = typeof(CommandHandler).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString();
        if (version is null)
        {
            return "unknown";
        }

        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
