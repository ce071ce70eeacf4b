using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Wirefisher.Engine.Config;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>A rule of a file that cannot be applied as it is: names the file, the rule and what is wrong.</summary>
public sealed class ConfigRuleException(string cause, string message, RuleInputException? inner = null) : Exception(message, inner)
{
    public string Cause { get; } = cause;
    public System.Management.Automation.ErrorCategory Category { get; } = inner?.Category ?? System.Management.Automation.ErrorCategory.InvalidData;
}

/// <summary>What importing a file would do: every request, and which are new, changed, unchanged, and which rules in force go.</summary>
public sealed record ConfigPlan(
    IReadOnlyList<LimitRequest> Added,
    IReadOnlyList<(LimitRequest Request, RateRule Current)> Changed,
    IReadOnlyList<LimitRequest> Unchanged,
    IReadOnlyList<RateRule> Removed,
    IReadOnlyList<string> Warnings)
{
    public bool IsEmpty => Added.Count == 0 && Changed.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// Import-WfConfig and Export-WfConfig: a file's rules become the rules in
/// force (all or nothing), and the rules in force become a file that imports
/// back to the same rules. The YAML itself is ConfigFile's.
/// </summary>
public static class ConfigService
{
    /// <summary>Every rule of the file resolved and checked, then compared with the rules in force. Nothing is applied.</summary>
    public static ConfigPlan Plan(ConfigDocument doc)
    {
        var wanted = new List<LimitRequest>();
        foreach (ConfigRule c in doc.Rules)
            wanted.AddRange(Requests(c));
        var seen = new Dictionary<(string, Direction), string>();
        foreach (LimitRequest q in wanted)
            if (!seen.TryAdd((q.Key, q.Direction), q.Name ?? q.Target.Text))
                throw new ConfigRuleException("DuplicateRule", $"Two rules of the file target {q.Target.Kind} {q.Target.Text} ({q.Direction}): '{seen[(q.Key, q.Direction)]}' and '{q.Name ?? q.Target.Text}'. Keep one of them.");
        var current = WfKernel.IsEnabled ? RuleService.Get(queues: false, congestion: true) : new List<RateRule>();
        var byKey = current.ToDictionary(r => (KeyOf(r), r.Direction));
        var added = new List<LimitRequest>();
        var changed = new List<(LimitRequest, RateRule)>();
        var unchanged = new List<LimitRequest>();
        var keep = new HashSet<uint>();
        foreach (LimitRequest q in wanted)
        {
            if (!byKey.TryGetValue((q.Key, q.Direction), out RateRule? r)) { added.Add(q); continue; }
            keep.Add(r.Id);
            if (Same(q, r)) unchanged.Add(q);
            else changed.Add((q, r));
        }
        var removed = current.Where(r => !keep.Contains(r.Id)).ToList();
        return new ConfigPlan(added, changed, unchanged, removed, doc.Warnings);
    }

    /// <summary>Applies a plan: the new and changed rules in one all-or-nothing Set, then the rules the file does not have go.</summary>
    public static void Apply(ConfigPlan plan, Action<string, int>? progress = null)
    {
        var set = plan.Added.Concat(plan.Changed.Select(c => c.Request)).ToList();
        if (set.Count > 0) RuleService.Set(set, progress);
        if (plan.Removed.Count > 0) RuleService.Remove(plan.Removed.Select(r => r.Id));
    }

    /// <summary>One file rule as requests, one per target and direction.</summary>
    private static IEnumerable<LimitRequest> Requests(ConfigRule c)
    {
        var p = c.Parameters;
        try
        {
            string? name = Str(p, "Name");
            if (name is not null) RuleNames.Validate(name);
            var inputs = new RuleInputs
            {
                Pid = p.TryGetValue("Pid", out object? pid) && pid is not null ? new[] { Convert.ToInt32(pid, CultureInfo.InvariantCulture) } : null,
                ProcessName = Arr(p, "ProcessName"), Path = Arr(p, "Path"), User = Arr(p, "User"),
                Cgroup = Arr(p, "Cgroup"), Interface = Arr(p, "Interface"),
                Protocol = c.IsCongestion ? "TCP" : Str(p, "Protocol"),
                LocalAddress = Arr(p, "LocalAddress"), RemoteAddress = Arr(p, "RemoteAddress"),
                LocalPort = p.GetValueOrDefault("LocalPort"), RemotePort = p.GetValueOrDefault("RemotePort"),
            };
            var targets = inputs.Targets();
            if (c.IsCongestion)
            {
                string algorithm = CongestionControl.Check(Str(p, "Algorithm") ?? "");
                return targets.Select(t => new LimitRequest(t, Direction.Egress, 0, TimeSpan.FromSeconds(1), name, Algorithm: algorithm)).ToList();
            }
            bool watch = Bool(p, "WatchOnly");
            (ulong rate, TimeSpan scale) = RuleInputs.RateAndScale(p.GetValueOrDefault("Rate"), p.GetValueOrDefault("TimeScale"), watch);
            Direction dir = Enum.Parse<Direction>(Str(p, "Direction") ?? "Both", ignoreCase: true);
            var dirs = dir == Direction.Both ? new[] { Direction.Ingress, Direction.Egress } : new[] { dir };
            return targets.SelectMany(t => dirs.Select(d =>
                new LimitRequest(t, d, rate, scale, name, Bool(p, "NoShaping"), watch, Bool(p, "PerProcess")))).ToList();
        }
        catch (RuleInputException e)
        {
            throw new ConfigRuleException(e.Cause, $"{c.Where}: rule {c.Section}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ConfigRuleException("InvalidName", $"{c.Where}: rule {c.Section}: {e.Message}");
        }
    }

    private static string? Str(Dictionary<string, object?> p, string k) => p.TryGetValue(k, out object? v) && v is not null ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static string[]? Arr(Dictionary<string, object?> p, string k) => p.TryGetValue(k, out object? v) && v is not null
        ? v is IEnumerable<string> e ? e.ToArray() : v is System.Collections.IEnumerable en and not string ? en.Cast<object>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture)!).ToArray() : new[] { Convert.ToString(v, CultureInfo.InvariantCulture)! }
        : null;

    private static bool Bool(Dictionary<string, object?> p, string k) => p.TryGetValue(k, out object? v) && v is true;

    private static string KeyOf(RateRule r) => r.Key;

    /// <summary>Would setting q change rule r? (a request without a name keeps the rule's)</summary>
    private static bool Same(LimitRequest q, RateRule r) =>
        (q.Name is null || string.Equals(q.Name, r.Name, StringComparison.Ordinal))
        && (q.IsCongestion ? q.Algorithm == r.Algorithm
            : q.WatchOnly == r.WatchOnly && (q.WatchOnly || (q.Rate == r.Rate && q.TimeScale == r.TimeScale)) && q.PerProcess == r.PerProcess
              && q.NoShaping == r.NoShaping);

    /// <summary>
    /// Every rule in force as file rules (Wirefisher's form); rules of processes that exited are left out, with a
    /// warning each, and so are all process (PID) rules for a boot file (no PID outlives a reboot).
    /// </summary>
    public static (List<ConfigRule> Rules, List<string> Warnings) Export(bool boot = false)
    {
        var rules = new List<ConfigRule>();
        var warnings = new List<string>();
        if (!WfKernel.IsEnabled) return (rules, warnings);
        using var store = new RuleStore();
        using var index = new MatchIndex();
        var loaded = RuleService.Load(store, index, withState: false);
        // the two directions of one rule with the same name and settings are one file rule with Direction Both
        var groups = loaded.GroupBy(l => (l.Key, Name: l.Rule.GetName(), l.Rule.Rate, l.Rule.TimeScaleNs,
            Flags: l.Rule.Flags & ~AbiConst.RulePending, NoShaping: NoShaping(l.Rule)));
        foreach (var g in groups.OrderBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var l = g.First();
            if (l.Target.Kind == RuleKind.Process && !ProcessInfo.IsAlive((int)l.Rule.Target, l.Rule.StartMinNs, l.Rule.StartMaxNs))
            {
                warnings.Add($"Rule '{g.Key.Name}' is left out: its process {l.Target.Text} has exited.");
                continue;
            }
            if (l.Target.Kind == RuleKind.Process && l.IsCongestion)
            {
                warnings.Add($"Congestion-control rule '{g.Key.Name}' is left out: a file holds congestion rules by address, port or process name, not by PID.");
                continue;
            }
            if (l.Target.Kind == RuleKind.Process && boot)
            {
                warnings.Add($"Rule '{g.Key.Name}' is left out of the boot file: a PID does not outlive a reboot. Use -ProcessName, -Path, -User or -Cgroup for rules that must come back at boot.");
                continue;
            }
            bool both = g.Count() == 2;
            foreach (var x in both ? new[] { l } : g.ToArray())
            {
                var c = new ConfigRule { Section = g.Key.Name, IsCongestion = x.IsCongestion };
                c.Parameters["Name"] = g.Key.Name;
                AddTarget(c.Parameters, x.Target, x.IsCongestion);
                if (x.IsCongestion) c.Parameters["Algorithm"] = x.Rule.GetCc();
                else AddLimit(c.Parameters, x.Rule, both ? Direction.Both : x.Rule.Dir == AbiConst.DirEgress ? Direction.Egress : Direction.Ingress);
                rules.Add(c);
            }
        }
        return (rules, warnings);
    }

    private static bool NoShaping(in WfRule r) => r.Dir == AbiConst.DirIngress && r.ShapeClass == 0 && (r.Flags & AbiConst.RuleWatchOnly) == 0;

    private static void AddTarget(Dictionary<string, object?> p, RuleTarget t, bool congestion)
    {
        switch (t.Kind)
        {
            case RuleKind.Process: p["Pid"] = (int)t.Id; break;
            case RuleKind.ProcessName: p["ProcessName"] = t.Text; break;
            case RuleKind.Path: p["Path"] = t.Text; break;
            case RuleKind.User: p["User"] = t.Text; break;
            case RuleKind.Cgroup: p["Cgroup"] = t.CgroupPath; break;
            case RuleKind.Interface: p["Interface"] = t.Text; break;
            default:
                TupleMatch m = t.Tuple!;
                if (m.Protocol != 0 && !congestion) p["Protocol"] = TupleMatch.ProtocolName(m.Protocol);
                if (m.Local.Count > 0) p["LocalAddress"] = m.Local.Select(x => x.ToString()).ToArray();
                if (m.Remote.Count > 0) p["RemoteAddress"] = m.Remote.Select(x => x.ToString()).ToArray();
                if (!m.LocalPort.IsAny) p["LocalPort"] = m.LocalPort.ToString();
                if (!m.RemotePort.IsAny) p["RemotePort"] = m.RemotePort.ToString();
                break;
        }
    }

    private static void AddLimit(Dictionary<string, object?> p, in WfRule r, Direction d)
    {
        p["Direction"] = d.ToString();
        if ((r.Flags & AbiConst.RuleWatchOnly) != 0) p["WatchOnly"] = true;
        else p["Rate"] = r.Rate.ToString(CultureInfo.InvariantCulture);
        var scale = TimeSpan.FromTicks((long)(r.TimeScaleNs / 100));
        if (scale != TimeSpan.FromSeconds(1))
            p["TimeScale"] = scale.TotalMilliseconds % 1000 == 0 ? $"{scale.TotalSeconds:0}s" : $"{scale.TotalMilliseconds:0}ms";
        if ((r.Flags & AbiConst.RulePerProcess) != 0) p["PerProcess"] = true;
        if (NoShaping(r)) p["NoShaping"] = true;
    }
}
