using System;
using System.Collections.Generic;

namespace Wirefisher.Engine.Config;

/// <summary>
/// One rule of a file, as Set-WfLimit (or Set-WfCongestionControl) parameters,
/// named exactly as the cmdlet parameters.
/// </summary>
/// <remarks>
/// Value types: Pid int; WatchOnly, PerProcess, NoShaping bool; LocalAddress
/// and RemoteAddress string[]; everything else string (Rate and TimeScale as
/// written, Direction "Ingress", "Egress" or "Both", Protocol "TCP", "UDP",
/// "ICMP", "ICMPv6" or a number). Keys that a file does not give are absent.
/// </remarks>
public sealed class ConfigRule
{
    /// <summary>file:line:column of the rule's mapping, such as "rules.yaml:12:5".</summary>
    public string Where { get; init; } = "";

    /// <summary>Names the rule in errors: "rules[3]", "congestionControl[0]" or "ip_pro_port_module.ip_pro_port_rule".</summary>
    public string Section { get; init; } = "";

    /// <summary>A congestion-control rule (Set-WfCongestionControl) rather than a limit (Set-WfLimit).</summary>
    public bool IsCongestion { get; init; }

    public Dictionary<string, object?> Parameters { get; } = new(StringComparer.OrdinalIgnoreCase);

    public override string ToString() => $"{Section} ({Where})";
}

/// <summary>What a file says: its rules in file order (limits first, then congestion rules) and what was ignored.</summary>
public sealed class ConfigDocument
{
    public List<ConfigRule> Rules { get; } = new();

    /// <summary>"file:line:column: what was ignored and why", for the caller to write as warnings.</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>The file is in the original tool's form (process_module, ... kafka).</summary>
    public bool IsOriginalForm { get; init; }
}

/// <summary>
/// A file that cannot be used. Message is "file:line:column: what is wrong. What to do."
/// (line and column 1-based, of the node that is wrong).
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string file, int line, int column, string problem, Exception? inner = null)
        : base($"{file}:{line}:{column}: {problem}", inner)
    {
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>1-based line of the offending node.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending node.</summary>
    public int Column { get; }

    /// <summary>The message without the file:line:column in front.</summary>
    public string Problem { get; }
}
