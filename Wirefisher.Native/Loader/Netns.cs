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

    /// <summary>
    /// One path per network namespace that has a process (/proc/PID/ns/net), then
    /// the names `ip netns add` made (/run/netns/NAME), which may have none yet.
    /// </summary>
    public static IEnumerable<string> All()
    {
        var seen = new Dictionary<string, string>();
        if (Directory.Exists("/run/netns"))
            foreach (string f in Directory.EnumerateFiles("/run/netns"))
                if (Libc.FsType(f) == NsfsMagic && Libc.Inode(f) is ulong ino and > 0) seen.TryAdd($"net:[{ino}]", f);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            string ns = Path.Combine(dir, "ns", "net");
            try
            {
                string? id = new FileInfo(ns).LinkTarget; // "net:[4026531840]"
                if (id is not null && !seen.ContainsKey(id)) seen[id] = ns;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the process is gone
        }
        return seen.Values;
    }

    /// <summary>Runs work on a fresh thread that has entered the namespace (setns is per thread).</summary>
    public static void Run(string nsPath, Action work)
    {
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
