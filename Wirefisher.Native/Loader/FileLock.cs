using System;
using System.IO;
using System.Threading;

namespace Wirefisher.Native.Loader;

/// <summary>
/// Locks between Wirefisher's processes: an exclusive open of a file in
/// /run/lock, which .NET takes with flock(2) and the kernel releases when the
/// process ends, however it ends.
/// </summary>
public static class FileLock
{
    public const string Kernel = "wirefisher.lock";          // Enable and Disable
    public const string Shaper = "wirefisher-shaper.lock";   // every sync of the ingress shaper
    public const string Watcher = "wirefisher-watch.lock";   // held by the shaper watcher while it runs

    public static string PathOf(string name) =>
        Path.Combine(Directory.Exists("/run/lock") ? "/run/lock" : Path.GetTempPath(), name);

    /// <summary>Waits (up to timeout) for the lock; null if another process still holds it then.</summary>
    public static IDisposable? Acquire(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(PathOf(name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Writes this process's PID into a lock it holds (see WaitForHolder).</summary>
    public static void SignWith(IDisposable held, int pid)
    {
        var f = (FileStream)held;
        f.SetLength(0);
        byte[] b = System.Text.Encoding.ASCII.GetBytes(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        f.Write(b, 0, b.Length);
        f.Flush();
    }

    /// <summary>
    /// Waits (up to timeout) until the process that last signed the lock has
    /// released it and ended; a process that releases it on its way out may
    /// take a while longer to be gone.
    /// </summary>
    public static void WaitForHolder(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using (var l = Acquire(name, timeout))
            if (l is null) return;
        if (Signature(name) is not int pid || pid == Environment.ProcessId) return;
        while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) Thread.Sleep(20);
    }

    /// <summary>The PID that signed the lock, while a process holds it and that process lives; else null.</summary>
    public static int? Holder(string name)
    {
        using (var l = Acquire(name, TimeSpan.Zero))
            if (l is not null) return null;
        return Signature(name) is int pid && Directory.Exists($"/proc/{pid}") ? pid : null;
    }

    /// <summary>The PID written into the lock file, if any.</summary>
    private static unsafe int? Signature(string name)
    {
        // read with open(2): .NET's own open would ask for a shared flock and fail against a holder's
        int fd = Interop.Libc.Open(PathOf(name), Interop.Libc.O_RDONLY | Interop.Libc.O_CLOEXEC);
        if (fd < 0) return null;
        byte* b = stackalloc byte[16];
        nint n = Interop.Libc.Read(fd, b, 16);
        Interop.Libc.Close(fd);
        return n > 0 && int.TryParse(new ReadOnlySpan<byte>(b, (int)n), out int pid) ? pid : null;
    }

    /// <summary>Waits for the lock for as long as it takes (2 minutes at most: a sync of thousands of shaped rules takes a while; then throws).</summary>
    public static IDisposable Wait(string name) =>
        Acquire(name, TimeSpan.FromMinutes(2)) ?? throw new IOException($"Another Wirefisher command has held {PathOf(name)} for 2 minutes: wait for it to end, then try again.");
}
