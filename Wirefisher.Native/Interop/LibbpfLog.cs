using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Wirefisher.Native.Interop;

/// <summary>
/// Collects what libbpf prints (warnings, the verifier log) instead of letting
/// it go to stderr, so a failure can carry it as error details.
/// </summary>
internal static unsafe class LibbpfLog
{
    [System.ThreadStatic] private static StringBuilder? t_log;
    private static int s_installed;

    public static void Install()
    {
        if (System.Threading.Interlocked.Exchange(ref s_installed, 1) == 0)
            Libbpf.LibbpfSetPrint(&Print);
    }

    /// <summary>Returns and clears what was printed on this thread.</summary>
    public static string? Take()
    {
        string? s = t_log?.ToString();
        t_log?.Clear();
        return s;
    }

    [UnmanagedCallersOnly]
    private static int Print(int level, nint fmt, nint args)
    {
        if (level > 0) return 0; // LIBBPF_WARN only (the verifier log is printed at that level), not INFO or DEBUG
        // va_list is passed on as the pointer it is on x86_64 and arm64.
        byte* buf = stackalloc byte[1024];
        int n = Libc.Vsnprintf(buf, 1024, fmt, args);
        if (n > 0)
        {
            t_log ??= new StringBuilder();
            if (t_log.Length < 64 * 1024)
                t_log.Append(Marshal.PtrToStringUTF8((nint)buf));
        }
        return 0;
    }
}
