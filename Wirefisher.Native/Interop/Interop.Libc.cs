using System.Runtime.InteropServices;

namespace Wirefisher.Native.Interop;

/// <summary>The few libc calls .NET has no API for.</summary>
internal static unsafe partial class Libc
{
    public const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    public const long BPF_FS_MAGIC = 0xcafe4a11;
    public const int SC_CLK_TCK = 2;

    [LibraryImport(Libraries.Libc, EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport(Libraries.Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Libraries.Libc, EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nuint count);

    [LibraryImport(Libraries.Libc, EntryPoint = "sysconf")]
    public static partial long Sysconf(int name);

    [LibraryImport(Libraries.Libc, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statfs(string path, byte* buf);

    [LibraryImport(Libraries.Libc, EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Mount(string source, string target, string fstype, ulong flags, nint data);

    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
    public static partial int Setns(int fd, int nstype);

    [LibraryImport(Libraries.Libc, EntryPoint = "vsnprintf")]
    public static partial int Vsnprintf(byte* buf, nuint size, nint fmt, nint args);

    [LibraryImport(Libraries.Libc, EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Stat(string path, byte* buf);

    /// <summary>A file's inode number (st_ino, at offset 8 of struct stat on x86_64 and arm64), or 0.</summary>
    public static ulong Inode(string path)
    {
        byte* buf = stackalloc byte[256]; // sizeof(struct stat) is 144 (x86_64) or 128 (arm64)
        return Stat(path, buf) == 0 ? *(ulong*)(buf + 8) : 0;
    }

    /// <summary>The filesystem magic of a path (f_type, the first field of struct statfs), or 0.</summary>
    public static long FsType(string path)
    {
        byte* buf = stackalloc byte[128]; // sizeof(struct statfs) is 120 on x86_64/arm64
        return Statfs(path, buf) == 0 ? *(long*)buf : 0;
    }
}
