using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Wirefisher.Engine;

/// <summary>
/// The lines of Show-WfFlowRate's screen, at most 79 columns: a title, the
/// top flows by smoothed rate with the four rates and the lowest limit in
/// force on each, and the totals of every flow, per direction.
/// </summary>
public static class TopView
{
    public const int Width = 79;
    private const string Row = "{0,7} {1,-12} {2,-3}{3,11}{4,11}{5,11}{6,11}{7,11}";

    public static List<string> Lines(IReadOnlyList<FlowRate> flows, IReadOnlyList<RateRule> rules, int top, FlowGrouping by, DateTime now)
    {
        var limits = rules.Where(r => !r.WatchOnly).ToList();
        var lines = new List<string>
        {
            Fit($"Wirefisher  {now:HH:mm:ss}  {flows.Count} flows by {by}, {limits.Count} limits in force   q quits"),
            "",
            string.Format(CultureInfo.InvariantCulture, Row, "PID", by switch { FlowGrouping.Rule => "RULE", FlowGrouping.Connection => "REMOTE", _ => "PROCESS" },
                "DIR", "INSTANT", "AVERAGE", "PEAK", "SMOOTHED", "LIMIT"),
        };
        foreach (FlowRate f in flows.OrderByDescending(f => f.Smoothed).ThenBy(f => f.Pid).Take(top))
            lines.Add(string.Format(CultureInfo.InvariantCulture, Row, f.Pid == 0 && f is RuleFlowRate ? "" : f.Pid.ToString(CultureInfo.InvariantCulture),
                Clip(NameOf(f), 12), f.Direction == Direction.Ingress ? "In" : "Out",
                Short(f.Instant), Short(f.Average), Short(f.Peak), Short(f.Smoothed), LimitOf(f, limits)));
        lines.Add("");
        foreach (Direction d in new[] { Direction.Ingress, Direction.Egress })
        {
            FlowRate total = FlowRateReader.Summed(new FlowRate { Direction = d }, flows.Where(f => f.Direction == d).ToList());
            lines.Add(string.Format(CultureInfo.InvariantCulture, Row, "", "total", d == Direction.Ingress ? "In" : "Out",
                Short(total.Instant), Short(total.Average), "", Short(total.Smoothed), ""));
        }
        return lines;
    }

    private static string NameOf(FlowRate f) => f switch
    {
        RuleFlowRate r => r.Name,
        ConnectionFlowRate c => $"{c.RemoteAddress}:{c.RemotePort}",
        _ => f.ProcessName,
    };

    /// <summary>The lowest rate of the limits in force on the flow, or "" when none is known to apply.</summary>
    private static string LimitOf(FlowRate f, List<RateRule> limits)
    {
        IEnumerable<RateRule> on = f switch
        {
            RuleFlowRate r => limits.Where(l => l.Name == r.Name && l.Direction == r.Direction),
            ConnectionFlowRate c => limits.Where(l => c.Rules.Contains(l.Name) && l.Direction == c.Direction),
            _ => limits.Where(l => l.Pid == f.Pid && f.Pid != 0 && l.Direction == f.Direction),
        };
        var list = on.ToList();
        return list.Count == 0 ? "" : Short(list.Min(l => l.Rate));
    }

    /// <summary>A rate in at most 10 characters: "512 B/s", "98.5 MiB/s", "1023 KiB/s".</summary>
    public static string Short(ulong bytesPerSecond)
    {
        string[] units = { "B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s" };
        double v = bytesPerSecond;
        int i = 0;
        while (v >= 1024 && i < units.Length - 1) { v /= 1024; i++; }
        string n = i == 0 || v >= 100 ? Math.Floor(v).ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.0", CultureInfo.InvariantCulture);
        return n + " " + units[i];
    }

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "~";

    private static string Fit(string s) => s.Length <= Width ? s : s[..Width];
}
