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

    /// <summary>The index of a device of the calling thread's network namespace, 0 if none.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    /// <summary>The devices of the calling thread's network namespace: struct if_nameindex[], ended by index 0; free with IfFreeNameIndex.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "if_nameindex")]
    public static partial nint IfNameIndex();

    [LibraryImport(Libraries.Libc, EntryPoint = "if_freenameindex")]
    public static partial void IfFreeNameIndex(nint list);

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

    /// <summary>
    /// A file's (device, inode), the device as the kernel's dev_t encodes it
    /// (major &lt;&lt; 20 | minor; st_dev is glibc's encoding), or null. Follows symlinks.
    /// </summary>
    public static (ulong Dev, ulong Ino)? FileId(string path)
    {
        byte* buf = stackalloc byte[256];
        if (Stat(path, buf) != 0) return null;
        ulong d = *(ulong*)buf;
        ulong major = ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffUL);
        ulong minor = (d & 0xff) | ((d >> 12) & ~0xffUL);
        return ((major << 20) | minor, *(ulong*)(buf + 8));
    }

    [LibraryImport(Libraries.Libc, EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* Getpwnam(string name);

    [LibraryImport(Libraries.Libc, EntryPoint = "getpwuid")]
    private static partial byte* Getpwuid(uint uid);

    /// <summary>A user's uid by name (NSS, so LDAP users too), or null. pw_uid is at offset 16 of struct passwd.</summary>
    public static uint? UserId(string name)
    {
        byte* pw = Getpwnam(name);
        return pw == null ? null : *(uint*)(pw + 16);
    }

    /// <summary>A uid's user name, or null.</summary>
    public static string? UserName(uint uid)
    {
        byte* pw = Getpwuid(uid);
        return pw == null ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8(*(nint*)pw);
    }

    /// <summary>The filesystem magic of a path (f_type, the first field of struct statfs), or 0.</summary>
    public static long FsType(string path)
    {
        byte* buf = stackalloc byte[128]; // sizeof(struct statfs) is 120 on x86_64/arm64
        return Statfs(path, buf) == 0 ? *(long*)buf : 0;
    }
}
