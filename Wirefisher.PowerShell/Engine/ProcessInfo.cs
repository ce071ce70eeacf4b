using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Wirefisher.Native.Interop;

namespace Wirefisher.Engine;

/// <summary>
/// What /proc says about a process: its name and when it started, which tells
/// a process apart from a later one that reuses its PID.
/// </summary>
public sealed record ProcessInfo(int Pid, string Name, ulong StartTicks)
{
    /// <summary>The process this PID belongs to (differs for a thread ID).</summary>
    public int Tgid { get; init; } = Pid;
    /// <summary>A kernel thread (PF_KTHREAD): no sockets of its own.</summary>
    public bool IsKernelThread { get; init; }

    private static readonly long TicksPerSecond = Math.Max(1, Libc.Sysconf(Libc.SC_CLK_TCK));

    /// <summary>The process, or null if it does not exist.</summary>
    public static ProcessInfo? TryGet(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            string name = stat[(open + 1)..close];
            string[] rest = stat[(close + 2)..].Split(' ');
            // rest[0] is field 3 (state); starttime is field 22
            ulong start = ulong.Parse(rest[22 - 3], CultureInfo.InvariantCulture);
            uint flags = uint.Parse(rest[9 - 3], CultureInfo.InvariantCulture);
            string? tgid = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Tgid:", StringComparison.Ordinal));
            return new ProcessInfo(pid, name, start)
            {
                Tgid = tgid is null ? pid : int.Parse(tgid[5..].Trim(), CultureInfo.InvariantCulture),
                IsKernelThread = (flags & 0x00200000) != 0, // PF_KTHREAD
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// The window of the kernel's start_boottime (ns) that /proc rounds down to StartTicks.
    /// </summary>
    public (ulong Min, ulong Max) StartWindowNs
    {
        get
        {
            ulong nsPerTick = (ulong)(1_000_000_000 / TicksPerSecond);
            return (StartTicks * nsPerTick, (StartTicks + 1) * nsPerTick);
        }
    }

    /// <summary>True if the process with this PID is still the one that started in this window.</summary>
    public static bool IsAlive(int pid, ulong startMinNs, ulong startMaxNs)
    {
        ProcessInfo? p = TryGet(pid);
        if (p is null) return false;
        (ulong min, ulong max) = p.StartWindowNs;
        return min == startMinNs && max == startMaxNs;
    }
}
