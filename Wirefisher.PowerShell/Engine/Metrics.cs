using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Wirefisher.Engine;

/// <summary>
/// Wirefisher's state as Prometheus metrics, in the text exposition format
/// (version 0.0.4, which node_exporter's textfile collector and every scraper
/// read). Written by hand: the format of counters and gauges is a few lines,
/// while prometheus-net keeps a live registry of its own in the process; here
/// every value is read fresh from the pinned kernel state and no state is kept.
/// </summary>
public static class Metrics
{
    /// <summary>Processes below this many bytes (per direction) fold into one series, process="(other)".</summary>
    public const ulong DefaultMinProcessBytes = 1UL << 20;

    public const string Other = "(other)";

    /// <summary>The text of one snapshot read now from the kernel (no rules and wirefisher_enabled 0 when Wirefisher is off).</summary>
    public static string Snapshot(ulong minProcessBytes)
    {
        if (!Native.Loader.WfKernel.IsEnabled)
            return Text(false, Array.Empty<FlowRate>(), Array.Empty<RateRule>(), Array.Empty<RuleFlowRate>(), minProcessBytes);
        var processes = FlowRateReader.Sample(FlowGrouping.Process);
        var rules = RuleService.Get();
        var ruleRates = FlowRateReader.Sample(FlowGrouping.Rule).OfType<RuleFlowRate>().ToList();
        return Text(true, processes, rules, ruleRates, minProcessBytes);
    }

    private sealed record Family(string Name, string Type, string Help, List<(string Labels, double Value)> Samples);

    /// <summary>
    /// The exposition text of one snapshot: per process and direction (pid,
    /// process, direction) and per rule (rule, kind, direction). Counters are
    /// the kernel's own totals; a process that exits, or that leaves the
    /// folded series by passing minProcessBytes, takes its bytes with it,
    /// which Prometheus treats as a counter reset of that series.
    /// </summary>
    public static string Text(bool enabled, IReadOnlyList<FlowRate> processes, IReadOnlyList<RateRule> rules,
        IReadOnlyList<RuleFlowRate> ruleRates, ulong minProcessBytes)
    {
        var families = new List<Family>();
        Family F(string name, string type, string help)
        {
            var f = new Family(name, type, help, new List<(string, double)>());
            families.Add(f);
            return f;
        }

        F("wirefisher_enabled", "gauge", "1 if Wirefisher's eBPF programs are loaded (Enable-Wirefisher), else 0.")
            .Samples.Add(("", enabled ? 1 : 0));

        var pBytes = F("wirefisher_process_bytes_total", "counter", "Payload bytes a process sent (egress) or received (ingress) that passed.");
        var pPackets = F("wirefisher_process_packets_total", "counter", "Packets of a process that passed.");
        var pDroppedBytes = F("wirefisher_process_dropped_bytes_total", "counter", "Payload bytes of a process that a limit dropped.");
        var pDroppedPackets = F("wirefisher_process_dropped_packets_total", "counter", "Packets of a process that a limit dropped.");
        var pSmoothed = F("wirefisher_process_smoothed_bytes_per_second", "gauge", "A process's smoothed rate (Get-WfFlowRate Smoothed), bytes per second.");
        foreach (FlowRate g in Fold(processes, minProcessBytes))
        {
            string pid = g.Pid < 0 ? "" : g.Pid.ToString(CultureInfo.InvariantCulture);
            string l = Labels(("pid", pid), ("process", g.ProcessName), ("direction", g.Direction.ToString()));
            pBytes.Samples.Add((l, g.Bytes));
            pPackets.Samples.Add((l, g.Packets));
            pDroppedBytes.Samples.Add((l, g.DroppedBytes));
            pDroppedPackets.Samples.Add((l, g.DroppedPackets));
            pSmoothed.Samples.Add((l, g.Smoothed));
        }

        var info = F("wirefisher_rule_info", "gauge", "A rule in force (always 1), with its target, mechanism and state as labels.");
        var limit = F("wirefisher_rule_limit_bytes_per_second", "gauge", "A rule's rate limit, bytes per second (not for watch-only rules).");
        var rPassedBytes = F("wirefisher_rule_passed_bytes_total", "counter", "Payload bytes a rule matched and let pass.");
        var rPassedPackets = F("wirefisher_rule_passed_packets_total", "counter", "Packets a rule matched and let pass.");
        var rDroppedBytes = F("wirefisher_rule_dropped_bytes_total", "counter", "Payload bytes a rule dropped (its bucket and its ingress queue).");
        var rDroppedPackets = F("wirefisher_rule_dropped_packets_total", "counter", "Packets a rule dropped (its bucket and its ingress queue).");
        var rQueued = F("wirefisher_rule_queued_bytes", "gauge", "Bytes waiting in a rule's ingress queue now.");
        var rSmoothed = F("wirefisher_rule_smoothed_bytes_per_second", "gauge", "The smoothed rate of what a rule matched, bytes per second.");
        foreach (RateRule r in rules)
        {
            string l = Labels(("rule", r.Name), ("kind", r.Kind.ToString()), ("direction", r.Direction.ToString()));
            info.Samples.Add((Labels(("rule", r.Name), ("kind", r.Kind.ToString()), ("direction", r.Direction.ToString()),
                ("target", r.Target), ("mechanism", r.Mechanism.ToString()), ("state", r.State.ToString())), 1));
            if (!r.WatchOnly) limit.Samples.Add((l, r.Rate));
            rPassedBytes.Samples.Add((l, r.PassedBytes));
            rPassedPackets.Samples.Add((l, r.PassedPackets));
            rDroppedBytes.Samples.Add((l, r.DroppedBytes));
            rDroppedPackets.Samples.Add((l, r.DroppedPackets));
            rQueued.Samples.Add((l, r.QueuedBytes));
        }
        foreach (RuleFlowRate r in ruleRates)
            rSmoothed.Samples.Add((Labels(("rule", r.Name), ("kind", r.Kind.ToString()), ("direction", r.Direction.ToString())), r.Smoothed));

        var sb = new StringBuilder();
        foreach (Family f in families.Where(f => f.Samples.Count > 0))
        {
            sb.Append("# HELP ").Append(f.Name).Append(' ').Append(f.Help).Append('\n');
            sb.Append("# TYPE ").Append(f.Name).Append(' ').Append(f.Type).Append('\n');
            foreach (var (labels, value) in f.Samples)
                sb.Append(f.Name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One series per process and direction; those below min fold into (other), per direction (Pid -1).</summary>
    private static IEnumerable<FlowRate> Fold(IReadOnlyList<FlowRate> processes, ulong min)
    {
        foreach (FlowRate f in processes.Where(f => f.Bytes >= min || f.Pid == 0))
            yield return f;
        foreach (var g in processes.Where(f => f.Bytes < min && f.Pid != 0).GroupBy(f => f.Direction).OrderBy(g => g.Key))
            yield return FlowRateReader.Summed(new FlowRate { Pid = -1, ProcessName = Other, Direction = g.Key }, g.ToList());
    }

    /// <summary>{a="x",b="y"}, with \, " and newlines escaped as the format asks.</summary>
    private static string Labels(params (string Name, string Value)[] labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    private static string Escape(string v) => v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
