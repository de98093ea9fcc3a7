using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure.Sources;

/// <summary>
/// A uniquely named child of the test process's own v1 memory cgroup, removed on Dispose; the test is skipped where it
/// cannot be made (not v1, not root, cgroupfs read-only).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ChildMemoryCgroup : IDisposable
{
    private readonly string _parent;

    private ChildMemoryCgroup(string parent, string path)
    {
        _parent = parent;
        Path = path;
        Cgroup = CgroupMemory.ForDirectory(1, path, parent);
    }

    /// <summary>The child's directory.</summary>
    public string Path { get; }

    /// <summary>The child as a <see cref="CgroupMemory"/>, for a source to watch.</summary>
    public CgroupMemory Cgroup { get; }

    /// <summary>Makes the child, or skips the test saying why it cannot.</summary>
    public static ChildMemoryCgroup Create()
    {
        LinuxFiles.SkipUnlessLinux();
        CgroupMemory? own = CgroupMemory.Detect();
        if (own is not { Version: 1 })
        {
            Assert.Skip($"the process's memory cgroup is not v1 here ({(own is null ? "none" : "v2")})");
        }

        string path = System.IO.Path.Combine(own.Directory, $"reclaim-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            Assert.Skip($"cannot make a child memory cgroup under {own.Directory}: {e.Message}");
        }

        return new ChildMemoryCgroup(own.Directory, path);
    }

    /// <summary>Sets <c>memory.limit_in_bytes</c>.</summary>
    public void SetLimit(long bytes) =>
        File.WriteAllText(System.IO.Path.Combine(Path, "memory.limit_in_bytes"), bytes.ToString(CultureInfo.InvariantCulture));

    /// <summary>Runs <paramref name="command"/> through sh inside the child (it moves itself in, then execs) and waits for it to end.</summary>
    /// <returns>Its exit code (137 when the OOM killer took it).</returns>
    public async Task<int> RunInsideAsync(string command)
    {
        var start = new ProcessStartInfo("sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"echo $$ > '{System.IO.Path.Combine(Path, "cgroup.procs")}' && exec {command}");
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        await Task.WhenAll(output, error);
        return process.ExitCode;
    }

    /// <summary>Moves anything left back to the parent and removes the child.</summary>
    public void Dispose()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        foreach (string pid in File.ReadAllLines(System.IO.Path.Combine(Path, "cgroup.procs")))
        {
            try
            {
                File.WriteAllText(System.IO.Path.Combine(_parent, "cgroup.procs"), pid);
            }
            catch (IOException)
            {
                // It exited meanwhile.
            }
        }

        // rmdir: a v1 memory cgroup without tasks goes at once; its remaining charges move to the parent.
        Directory.Delete(Path);
    }
}
