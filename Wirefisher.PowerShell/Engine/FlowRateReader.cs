using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>
/// Where kernel counters become FlowRate objects: one snapshot, all objects
/// with the same Timestamp. Get-WfFlowRate and Watch-WfFlowRate call this.
/// </summary>
public static class FlowRateReader
{
    public const string Unattributed = "(unattributed)";

    public static List<FlowRate> Sample(FlowGrouping by)
    {
        if (!WfKernel.IsEnabled)
            throw new WfNotEnabledException();
        DateTime stamp = DateTime.Now;
        ulong now = RuleStore.MonotonicNs();
        IEnumerable<FlowRate> rates = by switch
        {
            FlowGrouping.Connection => Connections(now),
            FlowGrouping.Rule => Rules(now),
            _ => Processes(now),
        };
        var list = rates.ToList();
        foreach (FlowRate f in list) f.Timestamp = stamp;
        return list;
    }

    private static IEnumerable<FlowRate> Processes(ulong now)
    {
        using var map = new BpfMap<WfProcKey, WfFlowStat>(BpfNames.MapProcs);
        foreach (WfProcKey k in map.Keys())
        {
            if (!map.TryLookup(k, out WfFlowStat s, locked: true)) continue;
            int pid = (int)k.Tgid;
            string name = pid == 0 ? Unattributed : ProcessInfo.TryGet(pid)?.Name ?? "";
            if (pid != 0 && name.Length == 0) continue; // exited: leaves the view
            foreach (FlowRate f in Both(s.In, s.Out, now, () => new FlowRate()))
            {
                f.Pid = pid;
                f.ProcessName = name;
                yield return f;
            }
        }
    }

    private static IEnumerable<FlowRate> Connections(ulong now)
    {
        foreach (WfConn c in WfKernel.ReadConnections())
        {
            int pid = (int)c.Tgid;
            string name = pid == 0 ? Unattributed : c.GetComm();
            foreach (FlowRate f in Both(c.In, c.Out, now, () => new ConnectionFlowRate()))
            {
                var cf = (ConnectionFlowRate)f;
                cf.Pid = pid;
                cf.ProcessName = name;
                cf.Protocol = c.Protocol switch { 6 => "TCP", 17 => "UDP", _ => c.Protocol.ToString() };
                cf.LocalAddress = c.Tuple.Local().ToString();
                cf.RemoteAddress = c.Tuple.Remote().ToString();
                cf.LocalPort = c.Tuple.LPort;
                cf.RemotePort = c.Tuple.RPort;
                yield return cf;
            }
        }
    }

    private static IEnumerable<FlowRate> Rules(ulong now)
    {
        using var store = new RuleStore();
        foreach (RuleEntry e in store.All())
        {
            RateRule r = LimitService.ToRateRule(e);
            RateView v = FlowRateMath.View(e.State.Rate, now);
            yield return Fill(new RuleFlowRate { Name = r.Name, Rate = r.Rate, Pid = r.Pid, ProcessName = r.ProcessName }, r.Direction, e.State.Rate, v);
        }
    }

    /// <summary>An object per direction that saw traffic.</summary>
    private static IEnumerable<FlowRate> Both(WfRate inbound, WfRate outbound, ulong now, Func<FlowRate> make)
    {
        if (inbound.FirstNs != 0 || inbound.DroppedBytes != 0)
            yield return Fill(make(), Direction.Ingress, inbound, FlowRateMath.View(inbound, now));
        if (outbound.FirstNs != 0 || outbound.DroppedBytes != 0)
            yield return Fill(make(), Direction.Egress, outbound, FlowRateMath.View(outbound, now));
    }

    private static FlowRate Fill(FlowRate f, Direction d, WfRate r, RateView v)
    {
        f.Direction = d;
        f.Instant = v.Instant;
        f.Average = v.Average;
        f.Peak = v.Peak;
        f.Smoothed = v.Smoothed;
        f.Bytes = r.Bytes;
        f.Packets = r.Packets;
        f.DroppedBytes = r.DroppedBytes;
        f.DroppedPackets = r.DroppedPackets;
        return f;
    }
}
