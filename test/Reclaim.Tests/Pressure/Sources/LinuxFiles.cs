using System.Runtime.Versioning;
using System.Text;
using Reclaim.Internal.Native;

namespace Reclaim.Tests.Pressure.Sources;

/// <summary>FIFOs and open-descriptor checks for the pressure source tests (.NET has no mkfifo).</summary>
[SupportedOSPlatform("linux")]
internal static class LinuxFiles
{
    /// <summary>Skips the test where the sources cannot run at all.</summary>
    public static void SkipUnlessLinux() => Assert.SkipUnless(OperatingSystem.IsLinux(), "Linux only: the pressure sources watch kernel files.");

    /// <summary>Makes a FIFO readable and writable by the owner only (0600).</summary>
    public static void MakeFifo(string path) =>
        Assert.True(Libc.MkFifo(path, 0b110_000_000) == 0, $"mkfifo {path}: {Libc.ErrorText()}");

    /// <summary>Writes <paramref name="text"/> to a FIFO that has a reader, and closes its write end again.</summary>
    public static void WriteToFifo(string path, string text)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        Assert.True(fd >= 0, $"open {path} for writing: {Libc.ErrorText()}");
        try
        {
            Assert.True(Libc.WriteAll(fd, Encoding.ASCII.GetBytes(text)), $"write {path}: {Libc.ErrorText()}");
        }
        finally
        {
            Libc.CloseQuietly(ref fd);
        }
    }

    /// <summary>Writes to a FIFO if it has a reader; false when it has none (or the write failed).</summary>
    public static bool TryWriteToFifo(string path, string text)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            return false;
        }

        // A reader that closes meanwhile makes this EPIPE (the runtime ignores SIGPIPE): false.
        bool written = Libc.WriteAll(fd, Encoding.ASCII.GetBytes(text));
        Libc.CloseQuietly(ref fd);
        return written;
    }

    /// <summary>
    /// Whether the FIFO has a reader: a non-blocking open for writing fails with ENXIO ("No such device or address")
    /// when nobody holds it open for reading.
    /// </summary>
    public static bool FifoHasReader(string path)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        bool open = fd >= 0;
        Libc.CloseQuietly(ref fd);
        return open;
    }

    /// <summary>The numbers of this process's descriptors open on <paramref name="target"/> (from /proc/self/fd).</summary>
    public static HashSet<string> DescriptorsOpenOn(string target)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (string link in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(link).LinkTarget == target)
                {
                    found.Add(Path.GetFileName(link));
                }
            }
            catch (IOException)
            {
                // Closed while we looked (another thread's descriptor): not ours.
            }
        }

        return found;
    }
}
