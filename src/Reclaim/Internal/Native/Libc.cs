using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Reclaim.Internal.Native;

/// <summary>
/// The few Linux system calls the pressure sources need (file descriptors, <c>poll</c>, <c>eventfd</c>,
/// <c>inotify</c>), through glibc or musl. Each constant names the man page it comes from; the values are the
/// generic Linux ones (<c>asm-generic</c>), which x86-64 and arm64, the architectures .NET runs Linux on, both use.
/// </summary>
/// <remarks>
/// Linux only: callers check <see cref="OperatingSystem.IsLinux"/> first. Every import sets the last error, so a failure
/// is reported as <see cref="Marshal.GetLastPInvokeError"/> (the errno) or <see cref="ErrorText"/> (its text).
/// </remarks>
[SupportedOSPlatform("linux")]
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    // open(2)
    /// <summary>open(2): read only.</summary>
    public const int O_RDONLY = 0x0;

    /// <summary>open(2): write only.</summary>
    public const int O_WRONLY = 0x1;

    /// <summary>open(2): read and write.</summary>
    public const int O_RDWR = 0x2;

    /// <summary>open(2): never block in open, read or write (04000).</summary>
    public const int O_NONBLOCK = 0x800;

    /// <summary>open(2): close on exec, so a child process does not inherit the descriptor (02000000).</summary>
    public const int O_CLOEXEC = 0x80000;

    // poll(2)
    /// <summary>poll(2): there is data to read.</summary>
    public const short POLLIN = 0x1;

    /// <summary>poll(2): an exceptional condition; what a PSI trigger reports when it fires.</summary>
    public const short POLLPRI = 0x2;

    /// <summary>poll(2): error; for a PSI file, the trigger (or its cgroup) is gone.</summary>
    public const short POLLERR = 0x8;

    /// <summary>poll(2): hang up (the peer closed its end).</summary>
    public const short POLLHUP = 0x10;

    /// <summary>poll(2): the descriptor is not open.</summary>
    public const short POLLNVAL = 0x20;

    // eventfd(2)
    /// <summary>eventfd(2): close on exec (same value as <see cref="O_CLOEXEC"/>).</summary>
    public const int EFD_CLOEXEC = O_CLOEXEC;

    /// <summary>eventfd(2): non-blocking reads and writes (same value as <see cref="O_NONBLOCK"/>).</summary>
    public const int EFD_NONBLOCK = O_NONBLOCK;

    // inotify_init1(2), inotify(7)
    /// <summary>inotify_init1(2): close on exec.</summary>
    public const int IN_CLOEXEC = O_CLOEXEC;

    /// <summary>inotify_init1(2): non-blocking reads.</summary>
    public const int IN_NONBLOCK = O_NONBLOCK;

    /// <summary>inotify(7): the file was modified (kernfs raises it when a cgroup file such as memory.events changes).</summary>
    public const uint IN_MODIFY = 0x2;

    /// <summary>inotify(7): the watched file itself was deleted.</summary>
    public const uint IN_DELETE_SELF = 0x400;

    /// <summary>inotify(7): the event queue overflowed; events were lost.</summary>
    public const uint IN_Q_OVERFLOW = 0x4000;

    /// <summary>inotify(7): the watch was removed (the file is gone or its file system was unmounted).</summary>
    public const uint IN_IGNORED = 0x8000;

    /// <summary>inotify(7): the size of <c>struct inotify_event</c> before its variable-length name.</summary>
    public const int InotifyEventHeaderSize = 16;

    // errno(3), asm-generic/errno-base.h
    /// <summary>errno(3): no such file or directory.</summary>
    public const int ENOENT = 2;

    /// <summary>errno(3): interrupted system call (a signal arrived while blocked).</summary>
    public const int EINTR = 4;

    /// <summary>errno(3): resource temporarily unavailable (a non-blocking call would block).</summary>
    public const int EAGAIN = 11;

    // statx(2), inode(7)
    /// <summary>statx(2): paths relative to the current directory.</summary>
    public const int AT_FDCWD = -100;

    /// <summary>statx(2): ask for the file type in <c>stx_mode</c>.</summary>
    public const uint STATX_TYPE = 0x1;

    /// <summary>inode(7): the file type bits of a mode.</summary>
    public const int S_IFMT = 0xF000;

    /// <summary>inode(7): FIFO (named pipe).</summary>
    public const int S_IFIFO = 0x1000;

    /// <summary>inode(7): character device (such as <c>/dev/null</c>).</summary>
    public const int S_IFCHR = 0x2000;

    /// <summary>inode(7): directory.</summary>
    public const int S_IFDIR = 0x4000;

    /// <summary>inode(7): regular file (procfs and cgroupfs files are regular files too).</summary>
    public const int S_IFREG = 0x8000;

    /// <summary>inode(7): socket.</summary>
    public const int S_IFSOCK = 0xC000;

    // statx(2): struct statx is 256 bytes on every architecture, with the 16-bit stx_mode at offset 28; its fixed
    // layout (unlike struct stat's) is why statx is used to learn a file's type.
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;

    /// <summary>poll(2)'s <c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        /// <summary>The descriptor; a negative one is ignored by poll.</summary>
        public int Fd;

        /// <summary>The events asked for (<see cref="POLLIN"/>, <see cref="POLLPRI"/>).</summary>
        public short Events;

        /// <summary>The events that happened, set by poll (<see cref="POLLERR"/>, <see cref="POLLHUP"/> and <see cref="POLLNVAL"/> always may be).</summary>
        public short Revents;
    }

    /// <summary>open(2). <paramref name="mode"/> only matters with O_CREAT, which is never used here.</summary>
    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode = 0);

    /// <summary>close(2).</summary>
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>read(2).</summary>
    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>write(2).</summary>
    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>poll(2).</summary>
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    /// <summary>eventfd(2).</summary>
    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    /// <summary>inotify_init1(2).</summary>
    [LibraryImport(Library, EntryPoint = "inotify_init1", SetLastError = true)]
    public static partial int InotifyInit1(int flags);

    /// <summary>inotify_add_watch(2).</summary>
    [LibraryImport(Library, EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int InotifyAddWatch(int fd, string path, uint mask);

    /// <summary>mkfifo(3): makes a FIFO (named pipe); .NET has no API for it.</summary>
    [LibraryImport(Library, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The text of the last P/Invoke's errno, such as "No such file or directory".</summary>
    public static string ErrorText() => Marshal.GetLastPInvokeErrorMessage();

    /// <summary>Closes <paramref name="fd"/> if it is open (non-negative), ignoring errors, and sets it to -1.</summary>
    public static void CloseQuietly(ref int fd)
    {
        if (fd >= 0)
        {
            // close(2): never retry on EINTR on Linux, the descriptor is released either way.
            _ = Close(fd);
            fd = -1;
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> in one write(2), as a trigger or a registration must be.</summary>
    /// <returns>True when the whole buffer was written; false with the errno set (or a short write) otherwise.</returns>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            nint written;
            do
            {
                written = Write(fd, p, (nuint)bytes.Length);
            }
            while (written < 0 && Marshal.GetLastPInvokeError() == EINTR);

            return written == bytes.Length;
        }
    }

    /// <summary>Reads into <paramref name="buffer"/>, retrying on EINTR.</summary>
    /// <returns>The bytes read, 0 at end of file, or -1 with the errno set (EAGAIN when there is nothing to read).</returns>
    public static int ReadSome(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint read;
            do
            {
                read = Read(fd, p, (nuint)buffer.Length);
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == EINTR);

            return (int)read;
        }
    }

    /// <summary>The type bits (<see cref="S_IFMT"/>) of the file at <paramref name="path"/>, following symbolic links.</summary>
    /// <param name="path">The file.</param>
    /// <param name="type">The type, such as <see cref="S_IFREG"/> or <see cref="S_IFIFO"/>.</param>
    /// <param name="error">When it returns false: the errno text.</param>
    /// <returns>True with the type; false when the file cannot be examined (missing, not permitted).</returns>
    public static bool TryGetFileType(string path, out int type, [NotNullWhen(false)] out string? error)
    {
        byte* buffer = stackalloc byte[StatxSize];
        type = 0;
        error = null;
        try
        {
            if (Statx(AT_FDCWD, path, 0, STATX_TYPE, buffer) != 0)
            {
                error = ErrorText();
                return false;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // A C library older than statx (glibc 2.28, musl 1.2.5): all that can be told is whether it exists, and an
            // existing file is taken for what the kernel hands out most, a regular (PSI or cgroup) file.
            if (!File.Exists(path))
            {
                error = "No such file or directory";
                return false;
            }

            type = S_IFREG;
            return true;
        }

        type = *(ushort*)(buffer + StatxModeOffset) & S_IFMT;
        return true;
    }
}
