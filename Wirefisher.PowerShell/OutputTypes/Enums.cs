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

/// <summary>What a rule targets (the values are the kernel's WF_KIND_*).</summary>
public enum RuleKind { Process = 1, Cgroup = 2, Interface = 3, Tuple = 4, ProcessName = 5, Path = 6, User = 7 }

/// <summary>Whether a rule still has something to apply to.</summary>
public enum RuleState { Active, ProcessExited }

/// <summary>What holds a rule's traffic to its rate (flags: a rule's flows may differ).</summary>
[System.Flags]
public enum LimitMechanism
{
    None = 0,
    /// <summary>A token bucket drops what is over the rate (UDP; TCP nobody could pace or shape).</summary>
    Policed = 1,
    /// <summary>TCP senders on this host send at the rate (SO_MAX_PACING_RATE).</summary>
    Paced = 2,
    /// <summary>Received TCP from other hosts waits in the rule's queue (ifb + htb).</summary>
    Shaped = 4,
}
