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
            FlowGrouping.Cgroup => Cgroups(Processes(now).ToList()),
            FlowGrouping.Interface => Interfaces(now),
            _ => Processes(now),
        };
        var list = rates.ToList();
        foreach (FlowRate f in list) f.Timestamp = stamp;
        return list;
    }

    private static IEnumerable<FlowRate> Processes(ulong now)
    {
        // wf_pslots lists the processes (tgid -> slot), wf_procs holds their rates by slot
        using var slots = new BpfMap<WfProcKey, uint>(BpfNames.MapPslots);
        using var procs = new ProcRates();
        foreach (WfProcKey k in slots.Keys())
        {
            if (!slots.TryLookup(k, out uint slot) || !procs.TryLookup(slot, out WfProc p) || p.Used == 0 || p.Tgid != k.Tgid) continue;
            WfFlowStat s = p.F;
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

    /// <summary>The processes' rates summed per cgroup (the cgroup they are in now).</summary>
    private static IEnumerable<FlowRate> Cgroups(List<FlowRate> processes)
    {
        string CgroupOf(int pid)
        {
            try { return File.ReadLines($"/proc/{pid}/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..] ?? ""; }
            catch (IOException) { return ""; }
        }
        foreach (var g in processes.GroupBy(f => (Cgroup: f.Pid == 0 ? Unattributed : CgroupOf(f.Pid), f.Direction)))
            yield return Summed(new CgroupFlowRate { Cgroup = g.Key.Cgroup, Direction = g.Key.Direction, Processes = g.Count() }, g.ToList());
    }

    /// <summary>f with the sums of the parts' rates and counters (rates of flows that share nothing add up).</summary>
    internal static T Summed<T>(T f, IReadOnlyCollection<FlowRate> parts) where T : FlowRate
    {
        f.Instant = Sum(parts, p => p.Instant);
        f.Average = Sum(parts, p => p.Average);
        f.Peak = Sum(parts, p => p.Peak);
        f.Smoothed = Sum(parts, p => p.Smoothed);
        f.Bytes = Sum(parts, p => p.Bytes);
        f.Packets = Sum(parts, p => p.Packets);
        f.DroppedBytes = Sum(parts, p => p.DroppedBytes);
        f.DroppedPackets = Sum(parts, p => p.DroppedPackets);
        return f;
    }

    private static ulong Sum(IEnumerable<FlowRate> g, Func<FlowRate, ulong> v) => g.Aggregate(0UL, (a, f) => a + v(f));

    /// <summary>The sockets' rates summed per device their route leaves by (connected sockets only).</summary>
    private static IEnumerable<FlowRate> Interfaces(ulong now)
    {
        ulong here = Netns.Inode("/proc/self/ns/net");
        var names = new Dictionary<ulong, string>();
        foreach (string d in Directory.Exists("/sys/class/net") ? Directory.GetDirectories("/sys/class/net") : Array.Empty<string>())
            if (ulong.TryParse(File.ReadAllText(Path.Combine(d, "ifindex")).Trim(), out ulong i)) names[here << 32 | i] = Path.GetFileName(d);
        string NameOf(ulong dev) => names.TryGetValue(dev, out string? n) ? n : $"ifindex {dev & 0xffffffff} (net:[{dev >> 32}])";
        var sockets = WfKernel.ReadConnections().Where(c => c.Dev != 0).ToList();
        foreach (var g in sockets.GroupBy(c => c.Dev))
            foreach (var dir in g.SelectMany(c => Both(c.In, c.Out, now, () => new FlowRate())).GroupBy(f => f.Direction))
                yield return Summed(new InterfaceFlowRate { Interface = NameOf(g.Key), Direction = dir.Key, Connections = dir.Count() }, dir.ToList());
    }

    private static IEnumerable<FlowRate> Connections(ulong now)
    {
        Dictionary<uint, string> names;
        using (var store = new RuleStore())
            names = store.All(withState: false).ToDictionary(e => e.Id, e => e.Rule.GetName());
        // 10,000 connections share a few addresses and names: each is made into a string once (Get-WfFlowRate under 200 ms)
        var text = new Dictionary<IPAddress, string>();
        string Text(IPAddress a) => text.TryGetValue(a, out string? t) ? t : text[a] = a.ToString();
        var comms = new Dictionary<(uint, string), string>();
        foreach (WfConn c in WfKernel.ReadConnections())
        {
            int pid = (int)c.Tgid;
            string name = pid == 0 ? Unattributed : c.GetComm();
            name = comms.TryGetValue((c.Tgid, name), out string? n) ? n : comms[(c.Tgid, name)] = name;
            string local = Text(c.Tuple.Local()), remote = Text(c.Tuple.Remote());
            string protocol = c.Protocol switch { 6 => "TCP", 17 => "UDP", _ => c.Protocol.ToString() };
            foreach (FlowRate f in Both(c.In, c.Out, now, () => new ConnectionFlowRate()))
            {
                var cf = (ConnectionFlowRate)f;
                cf.Pid = pid;
                cf.ProcessName = name;
                cf.Protocol = protocol;
                cf.LocalAddress = local;
                cf.RemoteAddress = remote;
                cf.LocalPort = c.Tuple.LPort;
                cf.RemotePort = c.Tuple.RPort;
                uint[] ids = c.Rules(f.Direction == Direction.Egress);
                if (ids.Length > 0) cf.Rules = ids.Select(id => names.GetValueOrDefault(id)).OfType<string>().ToArray();
                yield return cf;
            }
        }
    }

    private static IEnumerable<FlowRate> Rules(ulong now)
    {
        using var store = new RuleStore();
        using var index = new MatchIndex();
        foreach (var l in RuleService.Load(store, index, withState: true))
        {
            RateRule r = RuleService.ToRateRule(l);
            RateView v = FlowRateMath.View(l.Entry.State.Rate, now);
            yield return Fill(new RuleFlowRate { Name = r.Name, Kind = r.Kind, Target = r.Target, Rate = r.Rate, Pid = r.Pid, ProcessName = r.ProcessName },
                r.Direction, l.Entry.State.Rate, v);
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
        f.Bytes = r.TotalBytes;
        f.Packets = r.TotalPackets;
        f.DroppedBytes = r.DroppedBytes;
        f.DroppedPackets = r.DroppedPackets;
        return f;
    }
}
