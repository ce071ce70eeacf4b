using System;
using System.Collections.Generic;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>A limit to set on one process (validated by <see cref="LimitService.Validate"/>).</summary>
public sealed record ProcessLimit(ProcessInfo Process, Direction Direction, ulong Rate, TimeSpan TimeScale, string? Name);

/// <summary>
/// Turns limits into kernel rule entries and kernel entries back into
/// <see cref="RateRule"/> objects. The cmdlets call this; it calls the native layer.
/// </summary>
public static class LimitService
{
    public static readonly TimeSpan MaxTimeScale = TimeSpan.FromHours(1);

    /// <summary>Throws ArgumentException (with a message that says what to do) for a bad rate or time scale.</summary>
    public static void Validate(ulong rate, TimeSpan timeScale)
    {
        if (rate < RateParser.MinRate)
            throw new ArgumentException($"The rate must be at least {RateParser.MinRate} bytes per second (1KB); {rate} was given. To stop a limit, use Remove-WfLimit.");
        if (timeScale <= TimeSpan.Zero || timeScale > MaxTimeScale)
            throw new ArgumentException($"The time scale must be more than 0 and at most {MaxTimeScale}; {timeScale} was given. Write it as '500ms', '1s' or '2m'.");
    }

    public static string DefaultName(ProcessInfo p) => $"{p.Name}-{p.Pid}";

    public static IEnumerable<uint> KernelDirections(Direction d) => d switch
    {
        Direction.Ingress => new[] { AbiConst.DirIngress },
        Direction.Egress => new[] { AbiConst.DirEgress },
        _ => new[] { AbiConst.DirIngress, AbiConst.DirEgress },
    };

    /// <summary>
    /// Sets (or changes in place) the limit. Wirefisher must be enabled. A new
    /// rule is written pending (paced, not policed); <see cref="Activate"/> then
    /// paces the TCP connections and makes the rules police. With activate false
    /// the caller calls Activate itself, once for many limits.
    /// </summary>
    public static List<RateRule> Apply(ProcessLimit limit, bool activate = true)
    {
        Validate(limit.Rate, limit.TimeScale);
        (ulong min, ulong max) = limit.Process.StartWindowNs;
        using var store = new RuleStore();
        var keys = KernelDirections(limit.Direction)
            .Select(d => new WfRuleKey(AbiConst.KindProcess, d, (ulong)limit.Process.Pid)).ToList();
        var written = new List<WfRuleKey>();
        int connections = TcpSockets.CountEstablished(limit.Process.Pid);
        try
        {
            foreach (WfRuleKey key in keys)
            {
                WfRule rule = store.Get(key)?.Rule ?? default;
                bool same = rule.StartMinNs == min && rule.StartMaxNs == max;
                if (!same) rule = default; // an old process's rule under a reused PID: start afresh
                rule.Rate = limit.Rate;
                rule.BurstNs = Bucket.BurstNs(limit.Rate, limit.TimeScale, connections);
                rule.NsPerByte = Bucket.NsPerByte(limit.Rate);
                rule.StartMinNs = min;
                rule.StartMaxNs = max;
                rule.TimeScaleNs = (ulong)limit.TimeScale.Ticks * 100;
                rule.PaceRate = Pacing.PerSocket(limit.Rate, connections);
                if (rule.CreatedNs == 0)
                    rule.CreatedNs = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
                rule.SetComm(limit.Process.Name);
                rule.SetName(limit.Name ?? (same && rule.GetName() is { Length: > 0 } n ? n : DefaultName(limit.Process)));
                if (!same)
                {
                    store.Remove(key);
                    rule.Flags |= AbiConst.RulePending;
                }
                if (store.Put(key, rule)) written.Add(key);
            }
            // The process's sockets that existed before, or that were inherited
            // or accepted from a listener another process made, become its own.
            WfKernel.ClaimSockets(limit.Process.Pid);
        }
        catch
        {
            foreach (WfRuleKey k in written) store.Remove(k);
            throw;
        }
        var rules = keys.Select(k => ToRateRule(store.Get(k)!.Value)).ToList();
        if (activate) Activate(rules);
        return rules;
    }

    /// <summary>
    /// Paces every TCP connection as the rules now ask, then lets the pending
    /// ones police: a new limit never meets its process's unpaced traffic with drops.
    /// </summary>
    public static void Activate(IEnumerable<RateRule> rules)
    {
        WfKernel.Repace();
        using var store = new RuleStore();
        foreach (RateRule r in rules) store.Activate(KeyOf(r));
    }

    /// <summary>Every rule in the kernel, optionally filtered.</summary>
    public static List<RateRule> Get(Func<RateRule, bool>? filter = null)
    {
        using var store = new RuleStore();
        return store.All().Select(ToRateRule).Where(r => filter?.Invoke(r) ?? true)
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Direction).ToList();
    }

    /// <summary>
    /// Removes the kernel entry behind one RateRule. Returns false if it was gone
    /// already. Then (unless repace is false) its TCP connections get their speed back.
    /// </summary>
    public static bool Remove(RateRule rule, bool repace = true)
    {
        bool had;
        using (var store = new RuleStore())
            had = store.Remove(KeyOf(rule));
        if (repace) WfKernel.Repace();
        return had;
    }

    internal static WfRuleKey KeyOf(RateRule r) => new(
        (uint)r.Kind, r.Direction == Direction.Egress ? AbiConst.DirEgress : AbiConst.DirIngress, (ulong)r.Pid);

    /// <summary>Where kernel data becomes a RateRule.</summary>
    internal static RateRule ToRateRule(RuleEntry e)
    {
        WfRule r = e.Rule;
        int pid = (int)e.Key.Id;
        return new RateRule
        {
            Name = r.GetName(),
            Kind = (RuleKind)e.Key.Kind,
            Pid = pid,
            ProcessName = r.GetComm(),
            Direction = e.Key.Dir == AbiConst.DirEgress ? Direction.Egress : Direction.Ingress,
            Rate = r.Rate,
            TimeScale = TimeSpan.FromTicks((long)(r.TimeScaleNs / 100)),
            Burst = (ulong)Math.Round(r.BurstNs / 1e9 * r.Rate),
            PassedBytes = e.State.Rate.Bytes,
            PassedPackets = e.State.Rate.Packets,
            DroppedBytes = e.State.Rate.DroppedBytes,
            DroppedPackets = e.State.Rate.DroppedPackets,
            Created = DateTime.UnixEpoch.AddTicks((long)(r.CreatedNs / 100)).ToLocalTime(),
            State = ProcessInfo.IsAlive(pid, r.StartMinNs, r.StartMaxNs) ? RuleState.Active : RuleState.ProcessExited,
        };
    }
}
