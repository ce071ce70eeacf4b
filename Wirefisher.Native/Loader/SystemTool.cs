using System;
using System.Diagnostics;

namespace Wirefisher.Native.Loader;

/// <summary>
/// Runs iproute2 (ip, tc) inside a network namespace. No maintained .NET
/// library speaks rtnetlink's qdisc and class messages, and iproute2 is what an
/// admin would type, so Wirefisher uses it as it is rather than a netlink
/// encoder of its own.
/// </summary>
internal static class SystemTool
{
    /// <summary>Runs exe in the namespace at nsPath (nsenter, unless it is this process's); returns stdout, throws with stderr on failure.</summary>
    public static string Run(string nsPath, string exe, string[] args, string? stdin = null)
    {
        bool here = Netns.Inode(nsPath) == Netns.Inode("/proc/self/ns/net");
        var psi = new ProcessStartInfo(here ? exe : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (!here)
        {
            psi.ArgumentList.Add($"--net={nsPath}");
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(exe);
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {exe}.");
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new ShaperException($"'{exe} {string.Join(' ', args)}' failed in the network namespace {nsPath} (exit code {p.ExitCode}): {err.Result.Trim()}");
        return output;
    }
}

/// <summary>Setting up or taking down the ingress shaper failed.</summary>
public sealed class ShaperException : Exception
{
    public ShaperException(string message) : base(message) { }
}
