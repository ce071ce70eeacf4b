using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>
/// Keeps the ingress shaper on namespaces and devices that appear after a rule
/// was set (a container started later, a VPN device brought up). Nothing in
/// the kernel can attach a tcx program to a new device, and a new namespace
/// sends no event at all, so a watcher process looks once a second where the
/// shaped rules' processes are and which devices those namespaces have, and
/// syncs the shaper when that changed. There is no daemon to babysit: the
/// rule commands start the watcher when a shaped rule exists, and it ends by
/// itself once there has been none for a while or Wirefisher is disabled.
/// One watcher at a time (FileLock.Watcher); every sync, the watcher's and the
/// commands', reads the rules inside FileLock.Shaper, so none undoes a newer one.
/// </summary>
public static class ShaperWatch
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private const int IdleRounds = 60; // rounds without a shaped rule before it ends

    /// <summary>
    /// Starts the watcher unless one runs. Called with FileLock.Shaper held, so a
    /// watcher cannot decide to end between this look and the rule it missed.
    /// </summary>
    internal static void EnsureRunning()
    {
        using (var probe = FileLock.Acquire(FileLock.Watcher, TimeSpan.Zero))
            if (probe is null) return; // one runs
        if (PwshCommand() is not { } pwsh) return; // not in pwsh: the shaper follows the next command only
        string module = Path.Combine(Path.GetDirectoryName(typeof(ShaperWatch).Assembly.Location)!, "Wirefisher.psd1");
        // its own session, so that Ctrl+C and the end of this shell leave it alone; no stdio of ours,
        // so that nobody reading this shell's output waits for it; SCHED_IDLE, so that its start
        // (a pwsh: about a CPU-second) and its rounds take no time from traffic (a 1 MiB/s download
        // fell to 0.97 in the seconds a nice 10 watcher started)
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string a in new[] { "-c", "setsid chrt --idle 0 \"$@\" </dev/null >/dev/null 2>&1 &", "wirefisher-watch" })
            psi.ArgumentList.Add(a);
        foreach (string a in pwsh)
            psi.ArgumentList.Add(a);
        foreach (string a in new[] { "-NoProfile", "-NonInteractive", "-Command", $"Import-Module '{module.Replace("'", "''")}'; [Wirefisher.Engine.ShaperWatch]::Run()" })
            psi.ArgumentList.Add(a);
        using Process? p = Process.Start(psi);
        p?.WaitForExit();
    }

    /// <summary>The watcher's loop (its own pwsh process runs it).</summary>
    public static void Run()
    {
        using var me = FileLock.Acquire(FileLock.Watcher, TimeSpan.Zero);
        if (me is null) return; // another one watches
        FileLock.SignWith(me, Environment.ProcessId); // Disable-Wirefisher waits for it to end
        // the rules as of a rule generation (wf_config.gen, which every rule change moves on) of one
        // Enable-Wirefisher (wf_config's pin, made anew by each): read again only when either moved,
        // since reading 10,000 rules took 60-86 ms, most of a round
        List<RuleService.Loaded>? rules = null;
        ((ulong, ulong)?, uint) rulesGen = default;
        for (int idle = 0; ; Thread.Sleep(Period))
        {
            try
            {
                using var shaper = FileLock.Wait(FileLock.Shaper);
                if (!WfKernel.IsEnabled)
                    End(me);
                using (var index = new MatchIndex())
                {
                    // read before the rules: a change while they are read shows next round
                    var gen = (Libc.FileId(WfPaths.Pin(BpfNames.MapConfig)), index.Config.Gen);
                    if (rules is null || gen != rulesGen)
                    {
                        rules = null;
                        using var store = new RuleStore();
                        rules = RuleService.Load(store, index, withState: false);
                        rulesGen = gen;
                    }
                }
                if (!rules.Any(l => Shaping.IsShaped(l.Rule)))
                {
                    if (++idle < IdleRounds) continue;
                    End(me);
                }
                idle = 0;
                var placements = Shaping.Placements(rules);
                // a command's sync counts too: the watcher never repeats it (2,048 shaped
                // address rules took it over 10 s of tc, with the commands waiting)
                if (!Shaper.IsSyncedFor(Shaper.Layout(placements)))
                    Shaper.Sync(placements);
            }
            catch (Exception)
            {
                // Disable-Wirefisher under way, a namespace that went, a tc that failed: whatever it
                // was, the watcher must go on (it has nobody to tell), and looks again next round
            }
        }
    }

    /// <summary>
    /// Lets go of FileLock.Watcher while FileLock.Shaper is still held (see
    /// EnsureRunning), and ends the process at once: a pwsh that winds down
    /// its runspace at SCHED_IDLE on a busy host took seconds to be gone, and
    /// Disable-Wirefisher waits for it.
    /// </summary>
    private static void End(IDisposable me)
    {
        me.Dispose();
        Environment.Exit(0);
    }

    /// <summary>This pwsh's command line: pwsh itself, or dotnet and pwsh.dll (a .NET tool); null if this is not pwsh.</summary>
    private static string[]? PwshCommand()
    {
        string? exe = Environment.ProcessPath;
        if (exe is null) return null;
        if (Path.GetFileName(exe) == "pwsh") return new[] { exe };
        string first = Environment.GetCommandLineArgs()[0];
        return first.EndsWith("pwsh.dll", StringComparison.Ordinal) ? new[] { exe, first } : null;
    }
}
