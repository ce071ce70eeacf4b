using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Wirefisher.Native.Interop;

namespace Wirefisher.Native.Loader;

/// <summary>Network namespaces: finding them, and running work inside one.</summary>
internal static class Netns
{
    private const long NsfsMagic = 0x6e736673; // a namespace file (a stale /run/netns entry is not one)

    /// <summary>One path per network namespace, by its inode number (what the kernel calls ns.inum).</summary>
    public static IEnumerable<string> All() => ByInode().Values;

    /// <summary>
    /// Every network namespace that has a process (/proc/PID/ns/net) or a name
    /// from `ip netns add` (/run/netns/NAME, which may have no process yet),
    /// keyed by inode number.
    /// </summary>
    public static Dictionary<ulong, string> ByInode()
    {
        var seen = new Dictionary<ulong, string>();
        if (Directory.Exists("/run/netns"))
            foreach (string f in Directory.EnumerateFiles("/run/netns"))
                if (Libc.FsType(f) == NsfsMagic && Inode(f) is ulong ino and > 0) seen.TryAdd(ino, f);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out _) && Path.Combine(dir, "ns", "net") is string ns &&
                Inode(ns) is ulong ino and > 0) // 0: the process is gone
                seen.TryAdd(ino, ns);
        return seen;
    }

    /// <summary>The inode number of a namespace file (stat follows /proc/PID/ns/net to it), or 0.</summary>
    public static ulong Inode(string nsPath) => Libc.Inode(nsPath);

    /// <summary>The ifindexes of the devices in a namespace but the one named except, in order (none if it is gone).</summary>
    public static unsafe List<uint> DeviceIndexes(string nsPath, string except)
    {
        var list = new List<uint>();
        Run(nsPath, () =>
        {
            nint p = Libc.IfNameIndex();
            if (p == 0) return;
            try
            {
                // struct if_nameindex { unsigned int if_index; char *if_name; }: 16 bytes on 64-bit
                for (byte* e = (byte*)p; *(uint*)e != 0; e += 2 * sizeof(nint))
                    if (Marshal.PtrToStringUTF8(*(nint*)(e + sizeof(nint))) != except) list.Add(*(uint*)e);
            }
            finally
            {
                Libc.IfFreeNameIndex(p);
            }
        });
        list.Sort();
        return list;
    }

    /// <summary>
    /// Runs work on a fresh thread that has entered the namespace (setns is per
    /// thread), or on this thread if it is in that namespace already: a thread
    /// costs about a millisecond, and a Set-WfLimit makes several.
    /// </summary>
    public static void Run(string nsPath, Action work)
    {
        if (Inode(nsPath) is ulong target and > 0 && target == Inode("/proc/thread-self/ns/net"))
        {
            work();
            return;
        }
        Exception? failure = null;
        var t = new Thread(() =>
        {
            int fd = Libc.Open(nsPath, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0) return; // the namespace went away with its last process
            try
            {
                if (Libc.Setns(fd, Libc.CLONE_NEWNET) != 0)
                    throw new LibbpfException($"Entering the network namespace of {nsPath}", Marshal.GetLastPInvokeError());
                work();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                Libc.Close(fd);
            }
        });
        t.Start();
        t.Join();
        if (failure is not null) throw failure;
    }
}
