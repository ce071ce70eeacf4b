using System;

namespace Wirefisher;

/// <summary>
/// A congestion-control rule (Get-WfCongestionControl): TCP connections it
/// matches get Algorithm, new ones when they are established, open ones when
/// the rule is set.
/// </summary>
public sealed class CongestionRule
{
    public uint Id { get; internal set; }
    public string Name { get; internal set; } = "";
    public RuleKind Kind { get; internal set; }
    /// <summary>What the rule matches, in words: "TCP local port 8080", "rsync".</summary>
    public string Target { get; internal set; } = "";
    /// <summary>The congestion-control algorithm (one of /proc/sys/net/ipv4/tcp_available_congestion_control).</summary>
    public string Algorithm { get; internal set; } = "";
    public DateTime Created { get; internal set; }

    internal static CongestionRule From(RateRule r) => new()
    {
        Id = r.Id, Name = r.Name, Kind = r.Kind, Target = r.Target, Algorithm = r.Algorithm ?? "", Created = r.Created,
    };

    public override string ToString() => $"{Name} ({Target}: {Algorithm})";
}
