using System;

namespace Wirefisher;

/// <summary>
/// One limit in the kernel (one direction), as Get-WfLimit returns it. Rates
/// are bytes per second; the format file shows them human-readably.
/// </summary>
public sealed class RateRule
{
    /// <summary>The kernel's id of the rule (wf_rules key).</summary>
    public uint Id { get; internal set; }
    public string Name { get; internal set; } = "";
    public RuleKind Kind { get; internal set; }
    /// <summary>What the rule matches, in words: "PID 4261 (firefox)", "fire*", "/usr/bin/rsync", "TCP remote port 443".</summary>
    public string Target { get; internal set; } = "";
    /// <summary>The limited process (Kind Process; 0 for other kinds).</summary>
    public int Pid { get; internal set; }
    public string ProcessName { get; internal set; } = "";
    public Direction Direction { get; internal set; }
    /// <summary>Bytes per second (0 for a watch-only rule).</summary>
    public ulong Rate { get; internal set; }
    /// <summary>Counts the matching traffic, never limits it (the original's only_watch).</summary>
    public bool WatchOnly { get; internal set; }
    /// <summary>A congestion-control rule's algorithm (Get-WfCongestionControl); null for a limit.</summary>
    public string? Algorithm { get; internal set; }
    /// <summary>Each matching process has a bucket of its own (-PerProcess).</summary>
    public bool PerProcess { get; internal set; }
    public TimeSpan TimeScale { get; internal set; }
    /// <summary>The bucket's capacity in bytes: the most that can pass at once after a quiet spell.</summary>
    public ulong Burst { get; internal set; }
    public ulong PassedBytes { get; internal set; }
    public ulong PassedPackets { get; internal set; }
    /// <summary>Payload bytes the bucket dropped, plus those its shaper queue dropped, counted as full-size segments (the queue keeps no sizes; a GRO super-packet counts as one).</summary>
    public ulong DroppedBytes { get; internal set; }
    /// <summary>Packets the bucket dropped, plus those its shaper queue had no room for.</summary>
    public ulong DroppedPackets { get; internal set; }
    /// <summary>Bytes waiting in the rule's shaper queues now (ingress; each packet less the largest headers, 86 bytes: about its payload).</summary>
    public ulong QueuedBytes { get; internal set; }
    /// <summary>Of PassedBytes: sent by TCP senders on this host that Wirefisher paces.</summary>
    public ulong PacedBytes { get; internal set; }
    /// <summary>Of PassedBytes: received through the rule's shaper queue.</summary>
    public ulong ShapedBytes { get; internal set; }
    /// <summary>What held the traffic so far (before any: what would).</summary>
    public LimitMechanism Mechanism { get; internal set; }
    public DateTime Created { get; internal set; }
    public RuleState State { get; internal set; }

    /// <summary>What makes it the same rule as a request (RuleService's key): the target, and whether it is a congestion rule.</summary>
    internal string Key { get; set; } = "";
    /// <summary>An ingress limit set with -NoShaping (no shaper class).</summary>
    internal bool NoShaping { get; set; }

    public override string ToString() => $"{Name} ({Kind} {Target} {Direction} {(WatchOnly ? "watch-only" : Engine.RateParser.FormatRate(Rate))})";
}
