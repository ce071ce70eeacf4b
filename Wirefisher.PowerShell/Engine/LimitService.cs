using System;
using System.Collections.Generic;
using System.Linq;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>A limit to set on one process (validated by <see cref="LimitService.Validate"/>).</summary>
public sealed record ProcessLimit(ProcessInfo Process, Direction Direction, ulong Rate, TimeSpan TimeScale, string? Name, bool NoShaping = false);

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
    /// the caller calls Activate itself, once for many limits. usedClasses: the
    /// shaper classes taken (<see cref="Shaping.UsedClasses"/>); a caller that applies
    /// many limits passes one set to all, so it is read once (null = read it here).
    /// </summary>
    public static List<RateRule> Apply(ProcessLimit limit, bool activate = true, HashSet<uint>? usedClasses = null)
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
                bool shape = key.Dir == AbiConst.DirIngress && !limit.NoShaping; // -NoShaping: shape_class 0
                if (!same)
                {
                    store.Remove(key);
                    rule.Flags |= AbiConst.RulePending;
                    rule.ShapeClass = 0;
                }
                // the rule's htb class on every shaped device (kept when the rate changes)
                rule.ShapeClass = !shape ? 0 : rule.ShapeClass != 0 ? rule.ShapeClass : Shaping.FreeClass(usedClasses ??= Shaping.UsedClasses(store));
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
        var rules = keys.Select(k => ToRateRule(store.Get(k)!.Value, null)).ToList();
        if (activate) Activate(rules);
        return rules;
    }

    /// <summary>
    /// Shapes and paces every TCP connection as the rules now ask, then lets the
    /// pending ones police: a new limit never meets its process's unpaced traffic with drops.
    /// </summary>
    public static void Activate(IEnumerable<RateRule> rules)
    {
        Reconcile();
        using var store = new RuleStore();
        foreach (RateRule r in rules) store.Activate(KeyOf(r));
    }

    /// <summary>
    /// After rules changed: the shaper gets exactly the ingress rules' classes,
    /// and every TCP connection the pacing its rules ask for (or its speed back).
    /// </summary>
    public static void Reconcile()
    {
        Shaping.Sync();
        WfKernel.Repace();
    }

    /// <summary>Every rule in the kernel, optionally filtered; queues = also read the shaper's queues (runs tc).</summary>
    public static List<RateRule> Get(Func<RateRule, bool>? filter = null, bool queues = true)
    {
        using var store = new RuleStore();
        var entries = store.All();
        var q = queues && entries.Any(Shaping.IsShaped) ? Shaper.Queues() : new Dictionary<uint, ShaperQueue>();
        return entries.Select(e => ToRateRule(e, q)).Where(r => filter?.Invoke(r) ?? true)
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Direction).ToList();
    }

    /// <summary>
    /// Removes the kernel entry behind one RateRule. Returns false if it was gone
    /// already. Then (unless reconcile is false) its shaper class goes and its TCP
    /// connections get their speed back.
    /// </summary>
    public static bool Remove(RateRule rule, bool reconcile = true)
    {
        bool had;
        using (var store = new RuleStore())
            had = store.Remove(KeyOf(rule));
        if (reconcile) Reconcile();
        return had;
    }

    /// <summary>
    /// What held the rule's traffic so far (what carried its bytes); before any
    /// traffic, what would: pacing for local TCP senders, the shaper for remote
    /// ones on ingress, and the bucket, which polices everything else (UDP).
    /// </summary>
    internal static LimitMechanism MechanismOf(RuleEntry e)
    {
        if ((e.Rule.Flags & AbiConst.RuleWatchOnly) != 0) return LimitMechanism.None;
        WfState s = e.State;
        if (s.Rate.Bytes == 0)
            return LimitMechanism.Paced | LimitMechanism.Policed | (Shaping.IsShaped(e) ? LimitMechanism.Shaped : 0);
        var m = LimitMechanism.None;
        if (s.PacedBytes > 0) m |= LimitMechanism.Paced;
        if (s.ShapedBytes > 0) m |= LimitMechanism.Shaped;
        if (s.Rate.Bytes > s.PacedBytes + s.ShapedBytes) m |= LimitMechanism.Policed;
        return m;
    }

    internal static WfRuleKey KeyOf(RateRule r) => new(
        (uint)r.Kind, r.Direction == Direction.Egress ? AbiConst.DirEgress : AbiConst.DirIngress, (ulong)r.Pid);

    /// <summary>Where kernel data (and the shaper's queue) becomes a RateRule.</summary>
    internal static RateRule ToRateRule(RuleEntry e, IReadOnlyDictionary<uint, ShaperQueue>? queues = null)
    {
        WfRule r = e.Rule;
        int pid = (int)e.Key.Id;
        ShaperQueue q = r.ShapeClass != 0 && queues is not null ? queues.GetValueOrDefault(r.ShapeClass) : default;
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
            DroppedBytes = e.State.Rate.DroppedBytes + q.DroppedBytes,
            DroppedPackets = e.State.Rate.DroppedPackets + q.DroppedPackets,
            QueuedBytes = q.QueuedBytes,
            PacedBytes = e.State.PacedBytes,
            ShapedBytes = e.State.ShapedBytes,
            Mechanism = MechanismOf(e),
            Created = DateTime.UnixEpoch.AddTicks((long)(r.CreatedNs / 100)).ToLocalTime(),
            State = ProcessInfo.IsAlive(pid, r.StartMinNs, r.StartMaxNs) ? RuleState.Active : RuleState.ProcessExited,
        };
    }
}
