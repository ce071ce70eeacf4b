using System;

namespace Wirefisher;

/// <summary>A /metrics endpoint that Start-WfMetricsServer runs in this session.</summary>
public sealed class WfMetricsEndpoint
{
    public string Address { get; internal set; } = "";
    public int Port { get; internal set; }
    public string Url { get; internal set; } = "";
    public DateTime Started { get; internal set; }
}
