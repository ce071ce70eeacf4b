namespace Wirefisher;

/// <summary>Which traffic a rule applies to, seen from the local process.</summary>
public enum Direction
{
    /// <summary>Received traffic (Inbound).</summary>
    Ingress,
    /// <summary>Sent traffic (Outbound).</summary>
    Egress,
    /// <summary>Both; a rule for Both is kept as one Ingress and one Egress entry.</summary>
    Both,
}

/// <summary>What a rule targets.</summary>
public enum RuleKind { Process = 1, Cgroup = 2, Interface = 3, Flow = 4 }

/// <summary>Whether a rule still has something to apply to.</summary>
public enum RuleState { Active, ProcessExited }
