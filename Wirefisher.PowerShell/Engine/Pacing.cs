using System;

namespace Wirefisher.Engine;

/// <summary>
/// The pacing rate a limit gives each TCP connection of the process (egress:
/// the process's own end; ingress: the sending end, where it is on this host):
/// the rate shared among the connections open when the limit was set (at least
/// one). Connections opened later get the same share; the token bucket behind
/// the pacing holds the total in any case.
/// </summary>
public static class Pacing
{
    /// <summary>Share of the rate per connection; 0 (no pacing) above what SO_MAX_PACING_RATE can hold (int).</summary>
    public static uint PerSocket(ulong rate, int connections)
    {
        ulong share = rate / (ulong)Math.Max(1, connections);
        return share > int.MaxValue ? 0 : (uint)share;
    }
}
