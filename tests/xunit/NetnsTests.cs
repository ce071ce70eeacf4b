using System;
using System.Diagnostics;
using Wirefisher.Native.Loader;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>Netns.Run: work runs inside the namespace asked for, on a thread of its own only when it must.</summary>
public class NetnsTests
{
    private const string Self = "/proc/thread-self/ns/net";

    [Fact]
    public void InItsOwnNamespaceWorkRunsOnTheCallingThread()
    {
        int caller = Environment.CurrentManagedThreadId, ran = 0;
        Netns.Run("/proc/self/ns/net", () => ran = Environment.CurrentManagedThreadId);
        Assert.Equal(caller, ran);
    }

    [Fact]
    public void InAnotherNamespaceWorkRunsThereOnAThreadOfItsOwn()
    {
        string name = $"wfxunit-{Environment.ProcessId}";
        Ip("netns", "add", name); // as root, as the whole suite runs
        try
        {
            string path = $"/run/netns/{name}";
            ulong inside = 0;
            int ran = 0;
            Netns.Run(path, () => { inside = Netns.Inode(Self); ran = Environment.CurrentManagedThreadId; });
            Assert.NotEqual(0UL, inside);
            Assert.Equal(Netns.Inode(path), inside);
            Assert.NotEqual(Netns.Inode(Self), inside); // the caller did not move
            Assert.NotEqual(Environment.CurrentManagedThreadId, ran);
        }
        finally
        {
            Ip("netns", "del", name);
        }
    }

    [Fact]
    public void AGoneNamespaceRunsNothing()
    {
        bool ran = false;
        Netns.Run("/proc/999999999/ns/net", () => ran = true);
        Assert.False(ran);
    }

    private static void Ip(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ip {string.Join(' ', args)}: {err}");
    }
}
