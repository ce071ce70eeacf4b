using System;

namespace Wirefisher;

/// <summary>
/// The rates of one process in one direction (Get-WfFlowRate). Rates are bytes
/// per second of payload, as numbers, for sorting and filtering; the format
/// file shows them human-readably.
/// </summary>
public class FlowRate
{
    /// <summary>The owning process; 0 for traffic whose socket has no known owner.</summary>
    public int Pid { get; internal set; }
    public string ProcessName { get; internal set; } = "";
    public Direction Direction { get; internal set; }
    public ulong Instant { get; internal set; }
    public ulong Average { get; internal set; }
    public ulong Peak { get; internal set; }
    public ulong Smoothed { get; internal set; }
    public ulong Bytes { get; internal set; }
    public ulong Packets { get; internal set; }
    public ulong DroppedBytes { get; internal set; }
    public ulong DroppedPackets { get; internal set; }
    /// <summary>When the snapshot was taken; the same for every object of one snapshot.</summary>
    public DateTime Timestamp { get; internal set; }

    public override string ToString() =>
        $"{ProcessName} ({Pid}) {Direction} {Engine.RateParser.FormatRate(Smoothed)}";
}

/// <summary>The rates of one socket (Get-WfFlowRate -By Connection).</summary>
public sealed class ConnectionFlowRate : FlowRate
{
    public string Protocol { get; internal set; } = "";
    public string LocalAddress { get; internal set; } = "";
    public int LocalPort { get; internal set; }
    public string RemoteAddress { get; internal set; } = "";
    public int RemotePort { get; internal set; }
    /// <summary>The names of the rules this socket's traffic of this direction matched (watch-only ones too).</summary>
    public string[] Rules { get; internal set; } = Array.Empty<string>();
}

/// <summary>The rates of the processes of one cgroup (Get-WfFlowRate -By Cgroup), summed.</summary>
public sealed class CgroupFlowRate : FlowRate
{
    /// <summary>The cgroup v2 path, as /proc/PID/cgroup shows it.</summary>
    public string Cgroup { get; internal set; } = "";
    public int Processes { get; internal set; }
}

/// <summary>
/// The rates of the sockets whose route leaves by one network device (Get-WfFlowRate -By Interface),
/// summed per socket: this host's own traffic through it, not what it forwards.
/// </summary>
public sealed class InterfaceFlowRate : FlowRate
{
    /// <summary>The device's name (this network namespace), or "ifindex N (net:[inode])" in another one.</summary>
    public string Interface { get; internal set; } = "";
    public int Connections { get; internal set; }
}

/// <summary>The rates of what one limit let through (Get-WfFlowRate -By Rule).</summary>
public sealed class RuleFlowRate : FlowRate
{
    public string Name { get; internal set; } = "";
    public RuleKind Kind { get; internal set; }
    /// <summary>What the rule matches, in words.</summary>
    public string Target { get; internal set; } = "";
    public ulong Rate { get; internal set; }
}

/// <summary>What Get-WfFlowRate groups by.</summary>
public enum FlowGrouping { Process, Connection, Rule, Cgroup, Interface }
