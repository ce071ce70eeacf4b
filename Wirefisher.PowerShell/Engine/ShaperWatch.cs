using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
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
/// sends no event at all, so a watcher process looks where the shaped rules'
/// processes are and which devices those namespaces have, and syncs the
/// shaper when that changed: once a second, and at once when the kernel wakes
/// it (<see cref="WakeSignal"/>: a shaped process listens or connects in a
/// namespace without the shaper, or a shaped download is dropped on a device
/// without it), since until then that download is policed, not queued.
/// There is no daemon to babysit: the rule commands start the watcher when a
/// shaped rule exists, and it ends by itself once there has been none for a
/// while or Wirefisher is disabled.
/// One watcher at a time (FileLock.Watcher); every sync, the watcher's and the
/// commands', reads the rules inside FileLock.Shaper, so none undoes a newer one.
/// </summary>
public static class ShaperWatch
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    // rounds a wake-up brings are this far apart at least: a place the watcher does not shape
    // (a namespace with loopback only, say) may keep waking it (each place every 250 ms at most)
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(100);
    private const int IdleRounds = 60; // rounds without a shaped rule before it ends

    /// <summary>
    /// Starts the watcher unless one runs. Called with FileLock.Shaper held, so a
    /// watcher cannot decide to end between this look and the rule it missed.
    /// </summary>
    internal static void EnsureRunning()
    {
        using (var probe = FileLock.Acquire(FileLock.Watcher, TimeSpan.Zero))
            if (probe is null) return; // one runs
        // one is on its way: a pwsh at SCHED_IDLE takes seconds to start on a busy host, and a script
        // that set five ingress limits in that time started five watchers (four of them for nothing)
        if (IsStarting()) return;
        if (WatcherCommand() is not { } command) return; // no dotnet, not in pwsh: the shaper follows the next command only
        // its own session, so that Ctrl+C and the end of this shell leave it alone; no stdio of ours,
        // so that nobody reading this shell's output waits for it; SCHED_IDLE, so that its start and
        // its rounds take no time from traffic (a 1 MiB/s download fell to 0.97 in the seconds a
        // nice 10 watcher, then a pwsh of about a CPU-second, started)
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        // $!: the watcher's PID (setsid, chrt and dotnet or pwsh each exec in place), for IsStarting
        foreach (string a in new[] { "-c", "setsid chrt --idle 0 \"$@\" </dev/null >/dev/null 2>&1 & echo $!", "wirefisher-watch" })
            psi.ArgumentList.Add(a);
        foreach (string a in command)
            psi.ArgumentList.Add(a);
        using Process? p = Process.Start(psi);
        if (p is null) return;
        string started = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        if (int.TryParse(started, out int watcher) && ProcessInfo.TryGet(watcher) is { } w)
            File.WriteAllText(StartingFile, $"{watcher} {w.StartTicks}");
    }

    /// <summary>The last watcher a command started: its PID and start time (so a reused PID is not taken for it).</summary>
    private static string StartingFile => FileLock.PathOf("wirefisher-watch.started");

    /// <summary>Whether the last watcher a command started is still there (starting, or running).</summary>
    private static bool IsStarting()
    {
        try
        {
            string[] f = File.ReadAllText(StartingFile).Split(' ');
            return f.Length == 2 && int.TryParse(f[0], out int pid) &&
                ProcessInfo.TryGet(pid)?.StartTicks.ToString(CultureInfo.InvariantCulture) == f[1];
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The watcher's loop (its own pwsh process runs it).</summary>
    public static void Run()
    {
        using var me = FileLock.Acquire(FileLock.Watcher, TimeSpan.Zero);
        if (me is null) return; // another one watches
        FileLock.SignWith(me, Environment.ProcessId); // Disable-Wirefisher waits for it to end
        var rules = new RulesByGeneration();
        WakeSignal? wake = null;
        var round = new Stopwatch();
        for (int idle = 0; ; Pause(wake, round))
        {
            round.Restart();
            try
            {
                wake ??= WakeSignal.Open();
                // It looks without FileLock.Shaper and takes the lock only to act: it runs at
                // SCHED_IDLE, and a rule command should not wait for the lock behind a watcher that
                // a busy host gives no CPU.
                if (WfKernel.IsEnabled)
                {
                    var seen = rules.Now();
                    if (seen.Any(l => Shaping.IsShaped(l.Rule)))
                    {
                        idle = 0;
                        if (Shaper.IsSyncedFor(Shaper.Layout(Shaping.Placements(seen))))
                            continue;
                    }
                    else if (++idle < IdleRounds)
                    {
                        continue;
                    }
                }
                using var shaper = FileLock.Wait(FileLock.Shaper);
                if (!WfKernel.IsEnabled)
                    End(me);
                var now = rules.Now(); // again, inside the lock: no sync undoes a newer one
                if (!now.Any(l => Shaping.IsShaped(l.Rule)))
                {
                    if (idle >= IdleRounds)
                        End(me);
                    continue;
                }
                idle = 0;
                var placements = Shaping.Placements(now);
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

    /// <summary>Waits for the next round: a second, or a wake-up from the kernel (but MinGap after the last round).</summary>
    private static void Pause(WakeSignal? wake, Stopwatch round)
    {
        if (wake is null)
        {
            Thread.Sleep(Period);
            return;
        }
        wake.Wait(Period);
        if (MinGap - round.Elapsed is { Ticks: > 0 } rest)
            Thread.Sleep(rest);
    }

    /// <summary>
    /// The rules as of a rule generation (wf_config.gen, which every rule change moves on) of one
    /// Enable-Wirefisher (wf_config's pin, made anew by each), read again only when either moved:
    /// reading 10,000 rules took 60-86 ms of the 110-140 ms a round took, and an idle watcher used
    /// 10.9 % of a CPU (4.0 % with this).
    /// </summary>
    private sealed class RulesByGeneration
    {
        private List<RuleService.Loaded>? _rules;
        private ((ulong, ulong)?, uint) _gen;

        public List<RuleService.Loaded> Now()
        {
            using var index = new MatchIndex();
            // read before the rules: a change while they are read shows in the next look
            var gen = (Libc.FileId(WfPaths.Pin(BpfNames.MapConfig)), index.Config.Gen);
            if (_rules is null || gen != _gen)
            {
                _rules = null;
                using var store = new RuleStore();
                _rules = RuleService.Load(store, index, withState: false);
                _gen = gen;
            }
            return _rules;
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

    /// <summary>
    /// The watcher's command line: dotnet running this assembly's entry point (Engine/WatchMain.cs;
    /// started in 0.07 s here, 32 MiB resident), or, where no dotnet is found (a pwsh with a runtime
    /// of its own), this pwsh importing the module (0.5-1 s, 110 MiB); null if neither.
    /// </summary>
    private static string[]? WatcherCommand()
    {
        string dll = typeof(ShaperWatch).Assembly.Location;
        string? exe = Environment.ProcessPath;
        string? dotnet = exe is not null && Path.GetFileName(exe) == "dotnet" ? exe
            : new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), "/usr/share/dotnet", "/usr/lib/dotnet", "/usr/bin" }
                .Where(d => !string.IsNullOrEmpty(d)).Select(d => Path.Combine(d!, "dotnet")).FirstOrDefault(File.Exists);
        if (dotnet is not null && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            return new[] { dotnet, dll, "shaper-watch" };
        if (exe is null) return null;
        string module = Path.Combine(Path.GetDirectoryName(dll)!, "Wirefisher.psd1");
        string[] import = { "-NoProfile", "-NonInteractive", "-Command", $"Import-Module '{module.Replace("'", "''")}'; [Wirefisher.Engine.ShaperWatch]::Run()" };
        if (Path.GetFileName(exe) == "pwsh") return new[] { exe }.Concat(import).ToArray();
        return null;
    }
}
