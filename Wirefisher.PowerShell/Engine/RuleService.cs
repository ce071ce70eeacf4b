using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>One limit (or watch) to set: a target, a direction and a rate (validated by <see cref="RuleService.Set"/>).</summary>
public sealed record LimitRequest(RuleTarget Target, Direction Direction, ulong Rate, TimeSpan TimeScale, string? Name,
    bool NoShaping = false, bool WatchOnly = false, bool PerProcess = false, string? Algorithm = null)
{
    /// <summary>A congestion-control rule (Set-WfCongestionControl): it gives TCP connections an algorithm and limits nothing.</summary>
    public bool IsCongestion => Algorithm is not null;

    /// <summary>What makes two requests the same rule (with the direction): the target, and whether it is a congestion rule.</summary>
    public string Key => (IsCongestion ? "cc/" : "") + Target.Identity;
}

/// <summary>A rule name another rule of the same direction has.</summary>
public sealed class RuleNameTakenException(string message) : ArgumentException(message);

/// <summary>
/// The one engine behind the rule cmdlets, for every kind of rule: it turns
/// requests into kernel rules (<see cref="RuleStore"/>) and what the kernel
/// matches them by (<see cref="MatchPlan"/>), all or nothing, then shapes and
/// paces the TCP connections as the rules now ask; and it turns kernel rules
/// back into <see cref="RateRule"/> objects. A cmdlet binds, asks ShouldProcess,
/// calls one method here and writes what it returns.
/// </summary>
public static class RuleService
{
    public static readonly TimeSpan MaxTimeScale = TimeSpan.FromHours(1);

    /// <summary>Throws ArgumentException (with a message that says what to do) for a bad rate or time scale.</summary>
    public static void Validate(ulong rate, TimeSpan timeScale)
    {
        if (rate < RateParser.MinRate)
            throw new ArgumentException($"The rate must be at least {RateParser.MinRate} bytes per second (1KB); {rate} was given. To stop a limit, use Remove-WfLimit.");
        if (rate > RateParser.MaxRate)
            throw new ArgumentException($"The rate must be at most {RateParser.MaxRate} bytes per second (1TB, 8.8 Tbit/s), what the kernel's bucket holds exactly; {rate} was given. To stop a limit, use Remove-WfLimit.");
        if (timeScale <= TimeSpan.Zero || timeScale > MaxTimeScale)
            throw new ArgumentException($"The time scale must be more than 0 and at most {MaxTimeScale}; {timeScale} was given. Write it as '500ms', '1s' or '2m'.");
    }

    public static IEnumerable<uint> KernelDirections(Direction d) => d switch
    {
        Direction.Ingress => new[] { AbiConst.DirIngress },
        Direction.Egress => new[] { AbiConst.DirEgress },
        _ => new[] { AbiConst.DirIngress, AbiConst.DirEgress },
    };

    /// <summary>A kernel rule with the target it says.</summary>
    internal sealed record Loaded(RuleEntry Entry, RuleTarget Target)
    {
        public uint Id => Entry.Id;
        public WfRule Rule => Entry.Rule;
        public bool IsCongestion => (Rule.Flags & AbiConst.RuleCc) != 0;
        public string Key => (IsCongestion ? "cc/" : "") + Target.Identity;
    }

    /// <summary>What to say when a rule's name is another's: one of this same call, or one in force (a limit, or a congestion-control rule, which Remove-WfLimit does not list).</summary>
    private static string NameTaken(string name, uint dir, bool sameCall, bool congestion)
    {
        string d = dir == AbiConst.DirEgress ? "egress" : "ingress";
        if (sameCall)
            return $"Two {d} rules of this command would both be named '{name}'. Give each its own -Name, or leave -Name out so that each gets one of its own.";
        string remove = congestion ? "Remove-WfCongestionControl" : "Remove-WfLimit";
        return $"Another {d} {(congestion ? "congestion-control rule" : "rule")} is named '{name}'. Choose another -Name, or remove that rule first ({remove} -Name '{name}').";
    }

    internal static List<Loaded> Load(RuleStore store, MatchIndex index, bool withState)
    {
        var tuples = index.Tuples().GroupBy(t => t.Rule).ToDictionary(g => g.Key, g => (IReadOnlyList<WfTupleRule>)g.ToList());
        return store.All(withState).Select(e => new Loaded(e, RuleTarget.FromKernel(e.Rule, tuples.GetValueOrDefault(e.Id)))).ToList();
    }

    /// <summary>
    /// Sets (or changes in place: same target and direction) every requested
    /// rule, or none: on any failure the rules it added go and the ones it
    /// changed get their old values back. New rules start pending (paced, not
    /// policed) until the TCP connections are paced, so a new limit never meets
    /// its traffic with drops.
    /// </summary>
    public static List<RateRule> Set(IReadOnlyList<LimitRequest> requests, Action<string, int>? progress = null)
    {
        foreach (LimitRequest q in requests.Where(q => !q.WatchOnly && !q.IsCongestion)) Validate(q.Rate, q.TimeScale);
        WfKernel.Enable();
        using var store = new RuleStore();
        using var index = new MatchIndex();
        RecoverInterrupted(store, index);
        var rules = Load(store, index, withState: false);
        var byIdentity = rules.ToDictionary(l => (l.Key, l.Rule.Dir), l => l.Id);
        var byName = new Dictionary<(string, uint), uint>();
        foreach (Loaded l in rules) byName[(l.Rule.GetName().ToLowerInvariant(), l.Rule.Dir)] = l.Id;
        var classes = rules.Select(l => l.Rule.ShapeClass).ToHashSet();
        var taken = rules.Select(l => l.Id).ToHashSet();
        ProcessScan? scan = null;

        var plan = new List<(uint Id, WfRule Rule, RuleTarget Target, WfRule? Before)>();
        foreach (LimitRequest q in requests)
            foreach (uint dir in q.IsCongestion ? new[] { AbiConst.DirEgress } : KernelDirections(q.Direction))
            {
                uint? old = byIdentity.TryGetValue((q.Key, dir), out uint o) ? o : null;
                WfRule? before = old is { } b ? store.GetRule(b) : null;
                uint id = old ?? NextId(taken);
                int connections = Connections(q.Target, () => scan ??= ProcessScan.Now());
                WfRule r = Build(q, dir, before, connections, classes);
                string name = q.Name ?? (before is { } bf ? bf.GetName() : UniqueName((q.IsCongestion ? "cc-" : "") + q.Target.DefaultName(), dir, byName));
                if (byName.TryGetValue((name.ToLowerInvariant(), dir), out uint other) && other != id)
                    throw new RuleNameTakenException(NameTaken(name, dir, plan.Any(p => p.Id == other), rules.FirstOrDefault(l => l.Id == other)?.IsCongestion == true));
                byName[(name.ToLowerInvariant(), dir)] = id;
                r.SetName(name);
                plan.Add((id, r, q.Target, before));
                byIdentity[(q.Key, dir)] = id;
            }

        if (taken.Count > AbiConst.RulesMax)
            throw new WfLimitExceededException($"There would be {taken.Count} rules; the kernel holds {AbiConst.RulesMax}. Remove rules you no longer need first (Get-WfLimit | Remove-WfLimit), or use one rule for many targets (-ProcessName 'web*', -Cgroup, -RemoteAddress 10.0.0.0/8).");
        // a kill -9 from here on is undone by the next command (SetIntent)
        using var intent = SetIntent.Begin(plan.Where(p => p.Before is null).Select(p => p.Id),
            plan.Where(p => p.Before is not null).Select(p => (p.Id, p.Before!.Value)));
        var added = new List<uint>();
        try
        {
            foreach (var p in plan)
                if (store.Put(p.Id, p.Rule)) added.Add(p.Id);
            // a process's sockets that existed before, or that it inherited or
            // accepted from a listener another process made, become its own
            var claims = plan.Where(p => p.Target.Kind == RuleKind.Process).Select(p => (int)p.Target.Id).Distinct().ToList();
            progress?.Invoke($"Claiming the sockets of {claims.Count} processes", 50);
            WfKernel.ClaimSockets(claims);
            progress?.Invoke("Matching and pacing the connections", 100);
            var after = Load(store, index, withState: false);
            // the targets of this call: their tuples are not in the kernel yet
            var targets = plan.GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.Last().Target); // a target given twice is one rule
            index.Write(MatchPlan.Build(after.Select(l => (l.Id, l.Rule, targets.GetValueOrDefault(l.Id) ?? l.Target)).ToList()));
            Reconcile(store, index);
            foreach (uint id in added) store.Activate(id);
        }
        catch
        {
            foreach (uint id in added) store.Remove(id);
            foreach (var p in plan.Where(p => p.Before is not null)) store.Put(p.Id, p.Before!.Value);
            Rebuild(store, index);
            throw;
        }
        var ids = plan.Select(p => p.Id).ToHashSet();
        return Get(r => ids.Contains(r.Id), queues: false, congestion: true);
    }

    private static WfRule Build(LimitRequest q, uint dir, WfRule? before, int connections, HashSet<uint> classes)
    {
        WfRule r = before ?? default;
        r.Kind = (uint)q.Target.Kind;
        r.Dir = dir;
        r.Target = q.Target.Id;
        r.TargetDev = q.Target.Dev;
        (r.StartMinNs, r.StartMaxNs) = q.Target.Process?.StartWindowNs ?? (0, 0);
        bool limits = !q.WatchOnly && !q.IsCongestion;
        r.Rate = limits ? q.Rate : 0;
        r.BurstNs = limits ? Bucket.BurstNs(q.Rate, q.TimeScale, connections) : 0;
        r.NsPerByte = limits ? Bucket.NsPerByte(q.Rate) : 0;
        r.TimeScaleNs = (ulong)q.TimeScale.Ticks * 100;
        r.PaceRate = limits ? Pacing.PerSocket(q.Rate, connections) : 0;
        r.Flags = (r.Flags & AbiConst.RulePending)
            | (before is null ? AbiConst.RulePending : 0)
            | (q.WatchOnly || q.IsCongestion ? AbiConst.RuleWatchOnly : 0)
            | (q.PerProcess ? AbiConst.RulePerProcess : 0)
            | (q.IsCongestion ? AbiConst.RuleCc : 0);
        r.SetCc(q.Algorithm ?? "");
        if (r.CreatedNs == 0)
            r.CreatedNs = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        r.SetComm(q.Target.Comm);
        r.SetText(q.Target.Text);
        // the rule's htb class on every shaped device (kept when the rate changes); -NoShaping, watch-only, egress: none
        bool shape = dir == AbiConst.DirIngress && !q.NoShaping && limits;
        r.ShapeClass = !shape ? 0 : r.ShapeClass != 0 ? r.ShapeClass : Shaping.FreeClass(classes);
        return r;
    }

    /// <summary>The established TCP connections of the processes a target applies to now (at least 1); scans /proc only if it must.</summary>
    private static int Connections(RuleTarget t, Func<ProcessScan> scan) => Math.Max(1, t.Kind switch
    {
        RuleKind.Process => TcpSockets.CountEstablished((int)t.Id),
        RuleKind.Interface or RuleKind.Tuple => 1,
        _ => scan().Matching(t).Sum(e => TcpSockets.CountEstablished(e.Pid)),
    });

    /// <summary>A new rule id: the lowest above every id in use (ids are not reused at once, so no flow keeps an old rule's id).</summary>
    private static uint NextId(HashSet<uint> taken)
    {
        uint id = taken.Count == 0 ? 1 : taken.Max() + 1;
        if (id == 0 || id > int.MaxValue)
            for (id = 1; taken.Contains(id); id++) { }
        taken.Add(id);
        return id;
    }

    private static string UniqueName(string name, uint dir, Dictionary<(string, uint), uint> byName)
    {
        if (!byName.ContainsKey((name.ToLowerInvariant(), dir))) return name;
        for (int i = 2; ; i++)
        {
            string n = RuleNames.Cut(name[..Math.Min(name.Length, RuleNames.MaxBytes - 8)]) + "-" + i;
            if (!byName.ContainsKey((n.ToLowerInvariant(), dir))) return n;
        }
    }

    /// <summary>Removes the rules behind these RateRules (those already gone are skipped); returns those removed.</summary>
    public static List<RateRule> Remove(IEnumerable<RateRule> rules)
    {
        var list = rules.ToList();
        var gone = Remove(list.Select(r => r.Id)).ToHashSet();
        return list.Where(r => gone.Contains(r.Id)).DistinctBy(r => r.Id).ToList();
    }

    /// <summary>Removes rules by id (those already gone are skipped); returns the ids removed.</summary>
    public static List<uint> Remove(IEnumerable<uint> ids)
    {
        using var store = new RuleStore();
        using var index = new MatchIndex();
        RecoverInterrupted(store, index);
        var removed = ids.Distinct().Where(store.Remove).ToList();
        if (removed.Count == 0) return removed;
        Rebuild(store, index);
        return removed;
    }

    /// <summary>The match index from the rules in the store, then the shaper and pacing (Reconcile).</summary>
    private static void Rebuild(RuleStore store, MatchIndex index)
    {
        var left = Load(store, index, withState: false);
        index.Write(MatchPlan.Build(left.Select(l => (l.Id, l.Rule, l.Target)).ToList()));
        Reconcile(store, index);
    }

    /// <summary>Rolls back what a killed Set-WfLimit left half done (SetIntent), before anything reads or writes rules.</summary>
    private static void RecoverInterrupted(RuleStore store, MatchIndex index)
    {
        if (SetIntent.RollBack(store) > 0)
            Rebuild(store, index);
    }

    /// <summary>
    /// After rules changed: the shaper gets exactly the ingress rules' classes,
    /// and every TCP connection the pacing its rules ask for (or its speed back).
    /// </summary>
    private static void Reconcile(RuleStore store, MatchIndex index)
    {
        // The pacing iterators and the shaper (ip, tc, tcx links) share no state, and each
        // tcx link waits out an RCU grace period: the iterators run meanwhile (issue 9: a
        // fresh Set-WfLimit -Pid spent about 30 of its 55 ms in those two waits).
        Task repace = Task.Run(WfKernel.Repace);
        try
        {
            using (FileLock.Wait(FileLock.Shaper)) // the rules are read inside it: see ShaperWatch
            {
                var rules = Load(store, index, withState: false);
                Shaping.Sync(rules);
                if (rules.Any(l => Shaping.IsShaped(l.Rule))) ShaperWatch.EnsureRunning();
            }
        }
        catch
        {
            // never leave the iterators running behind the caller; the shaper's failure is the one reported
            try { repace.Wait(); } catch (AggregateException) { }
            throw;
        }
        repace.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Every limit (and watch-only rule) in the kernel, optionally filtered; queues = also read the shaper's
    /// queues (runs tc); congestion = also the congestion-control rules (as RateRules with Algorithm set).
    /// </summary>
    public static List<RateRule> Get(Func<RateRule, bool>? filter = null, bool queues = true, bool congestion = false)
    {
        using var store = new RuleStore();
        using var index = new MatchIndex();
        RecoverInterrupted(store, index);
        var rules = Load(store, index, withState: true).Where(l => congestion || !l.IsCongestion).ToList();
        var q = queues && rules.Any(l => Shaping.IsShaped(l.Rule)) ? Shaper.Queues() : new Dictionary<uint, ShaperQueue>();
        return rules.Select(l => ToRateRule(l, q)).Where(r => filter?.Invoke(r) ?? true)
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Direction).ToList();
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
        if (s.Rate.TotalBytes == 0)
            return LimitMechanism.Paced | LimitMechanism.Policed | (Shaping.IsShaped(e.Rule) ? LimitMechanism.Shaped : 0);
        var m = LimitMechanism.None;
        if (s.PacedBytes > 0) m |= LimitMechanism.Paced;
        if (s.ShapedBytes > 0) m |= LimitMechanism.Shaped;
        if (s.Rate.TotalBytes > s.PacedBytes + s.ShapedBytes) m |= LimitMechanism.Policed;
        return m;
    }

    /// <summary>Where kernel data (and the shaper's queue) becomes a RateRule.</summary>
    internal static RateRule ToRateRule(Loaded l, IReadOnlyDictionary<uint, ShaperQueue>? queues = null)
    {
        WfRule r = l.Rule;
        RuleEntry e = l.Entry;
        bool process = l.Target.Kind == RuleKind.Process;
        ShaperQueue q = r.ShapeClass != 0 && queues is not null ? queues.GetValueOrDefault(r.ShapeClass) : default;
        return new RateRule
        {
            Id = l.Id,
            Name = r.GetName(),
            Kind = l.Target.Kind,
            Target = l.Target.Text,
            Pid = process ? (int)r.Target : 0,
            ProcessName = process ? r.GetComm() : "",
            Direction = r.Dir == AbiConst.DirEgress ? Direction.Egress : Direction.Ingress,
            Rate = r.Rate,
            WatchOnly = (r.Flags & AbiConst.RuleWatchOnly) != 0 && !l.IsCongestion,
            Algorithm = l.IsCongestion ? r.GetCc() : null,
            Key = l.Key,
            NoShaping = r.Dir == AbiConst.DirIngress && r.ShapeClass == 0 && (r.Flags & AbiConst.RuleWatchOnly) == 0,
            PerProcess = (r.Flags & AbiConst.RulePerProcess) != 0,
            TimeScale = TimeSpan.FromTicks((long)(r.TimeScaleNs / 100)),
            Burst = (ulong)Math.Round(r.BurstNs / 1e9 * r.Rate),
            PassedBytes = e.State.Rate.TotalBytes,
            PassedPackets = e.State.Rate.TotalPackets,
            DroppedBytes = e.State.Rate.DroppedBytes + q.DroppedBytes,
            DroppedPackets = e.State.Rate.DroppedPackets + q.DroppedPackets,
            QueuedBytes = q.QueuedBytes,
            PacedBytes = e.State.PacedBytes,
            ShapedBytes = e.State.ShapedBytes,
            Mechanism = MechanismOf(e),
            Created = DateTime.UnixEpoch.AddTicks((long)(r.CreatedNs / 100)).ToLocalTime(),
            State = !process || ProcessInfo.IsAlive((int)r.Target, r.StartMinNs, r.StartMaxNs) ? RuleState.Active : RuleState.ProcessExited,
        };
    }
}
