using System.Diagnostics;
using System.Globalization;

namespace Reclaim.Reaction;

/// <summary>
/// Reaction to real kernel memory pressure through the PSI source: a child process overruns a small child memory cgroup
/// (cgroup v1; the kernel reclaims and then OOM-kills inside it), which stalls tasks and shows in the system-wide
/// <c>/proc/pressure/memory</c>; this process's reclaimer, with only its PSI source on and a limit far above its usage,
/// must react to that alone. Reaction = the probe's first count - the child's start. Linux, root, cgroup v1 memory only;
/// otherwise it says why and measures nothing.
/// </summary>
internal static class KernelPressureBench
{
    public static string Run(int trials)
    {
        string? cgroupRoot = OwnMemoryCgroup();
        if (cgroupRoot is null || !File.Exists("/proc/pressure/memory") || Environment.UserName != "root")
        {
            return "Kernel pressure: not measured (needs Linux, root, a cgroup v1 memory controller and /proc/pressure/memory).\n";
        }

        return Measure(cgroupRoot, trials, "psi") + "\n" + Measure(cgroupRoot, trials, "cgroup");
    }

    /// <summary>
    /// One source's trials. For <c>cgroup</c> this process moves itself into the child cgroup first (so its reclaimer
    /// watches that cgroup's <c>memory.pressure_level</c>; pages it already has stay charged where they were, so the 64 MiB
    /// holds only what it allocates from then on) and back out after.
    /// </summary>
    private static string Measure(string cgroupRoot, int trials, string source)
    {
        var rows = new List<string>();
        var reactions = new List<double>();
        for (int trial = 0; trial < trials; trial++)
        {
            string cgroup = Path.Combine(cgroupRoot, $"reclaim-reaction-{Environment.ProcessId}-{trial}");
            Directory.CreateDirectory(cgroup);
            try
            {
                File.WriteAllText(Path.Combine(cgroup, "memory.limit_in_bytes"), (64L << 20).ToString(CultureInfo.InvariantCulture));
                if (source == "cgroup")
                {
                    File.WriteAllText(Path.Combine(cgroup, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                }

                double? ms;
                string sources;
                try
                {
                    ms = Trial(cgroup, source, out sources);
                }
                finally
                {
                    if (source == "cgroup")
                    {
                        File.WriteAllText(Path.Combine(cgroupRoot, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                    }
                }

                rows.Add($"| {trial + 1} | {(ms is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "no reaction in 10 s")} | {sources} |");
                if (ms is { } m)
                {
                    reactions.Add(m);
                }
            }
            finally
            {
                for (int i = 0; i < 50 && Directory.Exists(cgroup); i++)
                {
                    try
                    {
                        Directory.Delete(cgroup);
                    }
                    catch (IOException)
                    {
                        Thread.Sleep(100);
                    }
                }
            }

            Thread.Sleep(3000); // let the PSI window (2 s) drain before the next trial
        }

        reactions.Sort();
        string summary = reactions.Count == 0 ? "no trial reacted" : string.Create(
            CultureInfo.InvariantCulture,
            $"{reactions.Count} of {trials} reacted; median {reactions[reactions.Count / 2]:F0} ms, min {reactions[0]:F0}, max {reactions[^1]:F0}");
        string what = source == "psi"
            ? "only the PSI source on (default trigger, on the system-wide /proc/pressure/memory here)"
            : "only the cgroup source on (v1 memory.pressure_level medium and critical of the child cgroup, which this process joined for the trial)";
        return $"## Reaction to kernel memory pressure: {source}\n\n" +
               "A child process allocates 256 MiB in a 64 MiB cgroup v1 child cgroup; this process's reclaimer (limit 64 GiB, " + what +
               ") must react to the kernel's pressure alone. Reaction = first count - child start, ms. " + summary + ".\n\n" +
               "| trial | reaction (ms) | sources |\n|---:|---:|---|\n" + string.Join('\n', rows) + "\n";
    }

    private static double? Trial(string cgroup, string source, out string sources)
    {
        var registry = new ShrinkerRegistry();
        using var probe = new Probe(registry);
        using var reclaimer = new Reclaimer(registry, new ReclaimerOptions
        {
            MemoryLimitBytes = 64L << 30,
            SamplingInterval = TimeSpan.Zero,
            UseGen2CollectionSignal = false,
            UseCgroupEvents = source == "cgroup",
            UsePressureStallInformation = source == "psi",
        });
        reclaimer.Start();
        sources = string.Join("; ", reclaimer.Sources.Select(s => s.IsActive ? $"{s.Name}: active" : $"{s.Name}: {s.UnsupportedReason}"));
        Thread.Sleep(2500); // a quiet window first: no stall, no reaction
        probe.Arm();
        long start = Stopwatch.GetTimestamp();
        using var child = Process.Start(new ProcessStartInfo("sh")
        {
            ArgumentList =
            {
                "-c",
                $"echo $$ > {cgroup}/cgroup.procs && exec perl -e 'my $x = q(a) x (256*1024*1024); sleep 2'",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var deadline = Stopwatch.StartNew();
        while (probe.FirstCount == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(1);
        }

        if (!child.WaitForExit(10_000))
        {
            child.Kill(entireProcessTree: true);
        }

        return probe.FirstCount == 0 ? null : Stopwatch.GetElapsedTime(start, probe.FirstCount).TotalMilliseconds;
    }

    private static string? OwnMemoryCgroup()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/cgroup"))
        {
            return null;
        }

        foreach (string line in File.ReadAllLines("/proc/self/cgroup"))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains("memory"))
            {
                string dir = Path.Combine("/sys/fs/cgroup/memory", parts[2].TrimStart('/'));
                return Directory.Exists(dir) ? dir : null;
            }
        }

        return null;
    }
}
