using System.Runtime.InteropServices;

namespace Wirefisher.Native.Interop;

/// <summary>Turns libbpf's two error conventions into <see cref="LibbpfException"/>.</summary>
internal static unsafe class LibbpfCheck
{
    /// <summary>For int-returning calls: a negative value is -errno.</summary>
    public static int Int(int ret, string op)
    {
        if (ret < 0)
            throw new LibbpfException(op, -ret, LibbpfLog.Take());
        return ret;
    }

    /// <summary>For bpf(2) wrappers that return -1 and set errno (bpf_obj_get, bpf_map_*).</summary>
    public static int Fd(int ret, string op)
    {
        if (ret < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new LibbpfException(op, errno != 0 ? errno : -ret, LibbpfLog.Take());
        }
        return ret;
    }

    /// <summary>For pointer-returning calls: NULL and errno.</summary>
    public static nint Ptr(nint p, string op)
    {
        if (p == 0)
            throw new LibbpfException(op, Marshal.GetLastPInvokeError(), LibbpfLog.Take());
        return p;
    }

    public static string Describe(int errno)
    {
        byte* buf = stackalloc byte[256];
        try
        {
            if (Libbpf.LibbpfStrerror(errno, buf, 256) == 0)
                return Marshal.PtrToStringUTF8((nint)buf) ?? $"errno {errno}";
        }
        catch (System.DllNotFoundException) { }
        return $"errno {errno}";
    }
}
