using Reclaim.Pressure;

namespace Reclaim;

// The Linux pressure sources, where turned on; elsewhere they report why they cannot run.
public sealed partial class Reclaimer
{
    static partial void AddPlatformSources(ReclaimerOptions options, List<IMemoryPressureSource> sources)
    {
        CgroupMemory? cgroup = options.UseCgroupEvents || options.UsePressureStallInformation ? CgroupMemory.Detect() : null;
        if (options.UseCgroupEvents)
        {
            sources.Add(new CgroupEventsPressureSource(cgroup));
        }

        if (options.UsePressureStallInformation)
        {
            sources.Add(new PsiPressureSource(options.PressureStallTrigger, cgroup: cgroup));
        }
    }
}
