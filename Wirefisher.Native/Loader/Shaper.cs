using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Maps;

namespace Wirefisher.Native.Loader;

/// <summary>One rule the ingress shaper holds: its htb class and its rate in payload bytes per second.</summary>
public readonly record struct ShapedRule(uint Class, ulong Rate);

/// <summary>What one rule's queues hold and lost, summed over the namespaces it is shaped in.</summary>
public record struct ShaperQueue(ulong QueuedBytes, ulong DroppedPackets, ulong DroppedBytes);

/// <summary>A namespace's shaper: which devices feed it, and how many rule classes it has.</summary>
public sealed record ShaperInfo(ulong Netns, string[] Devices, int Classes);

/// <summary>
/// The ingress shaper's user-space half (the kernel half is bpf/lib/wf_shape.h).
/// In each network namespace it shapes: an ifb device of Wirefisher's own
/// (<see cref="IfbName"/>, its alias says who made it) with an htb root 1:
/// that takes the largest headers off each packet (a size table, see
/// <see cref="HeaderBase"/>), per rule a class 1:c at the rule's rate and four
/// leaves under it (one per header size, see WF_SHAPE_* in wirefisher.h, each
/// adding back its own difference, <see cref="LeafOverhead"/>, so that it counts
/// payload), each with a bfifo bounded to about 100 ms; and a pinned tcx link of
/// wf_shape_in on every other non-loopback device, listed in wf_devs. No
/// device's own qdiscs are touched.
/// </summary>
public static unsafe class Shaper
{
    public const string IfbName = "wf-ifb";
    public const string IfbAlias = "wirefisher ingress shaper";
    private static readonly double QueueSeconds = 0.1;
    private const ulong MinQueueBytes = 2 * 65536; // two 64 KiB GRO packets
    private const ulong MaxQueueBytes = 256UL << 20; // bfifo's limit is 32 bits; 100 ms of 20 Gbit/s is plenty
    // htb's bucket depth. tc's default is rate / HZ + MTU, and tc reads HZ off
    // /proc/net/psched, which says 10^9 on a high-resolution clock: one frame.
    // A class then loses every token its timer comes too late for; with the
    // CPUs busy that held a 10 MiB/s download to 0.81 (CI; 0.988 here idle,
    // 1.000 with this burst). 5 ms of the rate (4 frames at least) absorbs such
    // delays; 20 ms did too, but its bursts cost four connections more losses.
    private static readonly double BurstSeconds = 0.005;
    private const ulong MinBurstBytes = 4 * 1514;

    private sealed record Device(string Name, uint Ifindex, int Mtu, string LinkType, string? Kind, string? Alias);

    /// <summary>
    /// Shapes exactly these rules, each in the namespaces given for it (paths
    /// such as /proc/PID/ns/net), and takes the shaper out of every other
    /// namespace it is in. A namespace gets classes only for the rules that
    /// apply there, so that rules without a process anywhere cost no tc work.
    /// </summary>
    public static void Sync(IReadOnlyCollection<(ShapedRule Rule, string NsPath)> placements)
    {
        var known = Netns.ByInode();
        var want = new Dictionary<ulong, HashSet<ShapedRule>>();
        foreach (var (rule, path) in placements)
            if (Netns.Inode(path) is ulong ino and > 0)
                (want.TryGetValue(ino, out var set) ? set : want[ino] = new HashSet<ShapedRule>()).Add(rule);
        foreach (ulong ns in ShapedNamespaces().Where(n => !want.ContainsKey(n)).ToList())
            TearDown(ns, known.GetValueOrDefault(ns));
        foreach (var (ns, rules) in want)
            if (known.TryGetValue(ns, out string? path))
                SetUp(path, ns, rules);
        File.WriteAllText(LayoutFile, Layout(placements));
    }

    /// <summary>What the last Sync made the shaper match (Layout), so that the watcher does not do it again.</summary>
    private static string LayoutFile => FileLock.PathOf("wirefisher-shaper.layout");

    /// <summary>Whether the last Sync, of a command or the watcher, was for this layout.</summary>
    public static bool IsSyncedFor(string layout) => File.Exists(LayoutFile) && File.ReadAllText(LayoutFile) == layout;

    /// <summary>
    /// Where these placements would shape, as text: each namespace (by inode)
    /// with its devices' ifindexes (not the ifb's: a command that just made it
    /// has synced) and the classes of the rules placed there. The shaper
    /// watcher syncs when it is not what the last Sync was for.
    /// </summary>
    public static string Layout(IReadOnlyCollection<(ShapedRule Rule, string NsPath)> placements)
    {
        var sb = new StringBuilder();
        foreach (var g in placements.GroupBy(p => Netns.Inode(p.NsPath)).Where(g => g.Key > 0).OrderBy(g => g.Key))
            sb.Append(CultureInfo.InvariantCulture,
                $"{g.Key}:{string.Join(',', Netns.DeviceIndexes(g.First().NsPath, IfbName))}:{string.Join(',', g.Select(p => p.Rule.Class).Distinct().Order())};");
        return sb.ToString();
    }

    /// <summary>Takes the shaper out of every namespace (Disable-Wirefisher, and leftovers of a killed command).</summary>
    public static void RemoveAll()
    {
        var known = Netns.ByInode();
        var shaped = Directory.Exists(WfPaths.PinDir) ? ShapedNamespaces() : new HashSet<ulong>();
        foreach (var (ns, path) in known)
            if (shaped.Contains(ns) || OwnIfb(ListDevices(path)) is not null)
                TearDown(ns, path);
        foreach (ulong ns in shaped.Where(n => !known.ContainsKey(n)))
            TearDown(ns, null);
        File.Delete(LayoutFile);
    }

    /// <summary>Every rule class's queue, summed over namespaces (tc -s qdisc of each ifb).</summary>
    public static Dictionary<uint, ShaperQueue> Queues()
    {
        var result = new Dictionary<uint, ShaperQueue>();
        var known = Netns.ByInode();
        var mtus = DeviceMtus();
        foreach (ulong ns in ShapedNamespaces())
        {
            if (!known.TryGetValue(ns, out string? path)) continue;
            string json;
            try { json = SystemTool.Run(path, "tc", new[] { "-s", "-j", "qdisc", "show", "dev", IfbName }); }
            catch (ShaperException) { continue; } // the namespace went away meanwhile
            uint mtu = mtus.GetValueOrDefault(ns, 1500u);
            foreach (JsonElement q in Parse(json))
            {
                if (Str(q, "kind") != "bfifo" || Minor(Str(q, "parent")) is not uint leaf) continue;
                uint cls = leaf & AbiConst.ShapeMax;
                int k = (int)(leaf >> AbiConst.ShapeKindShift) - 1;
                if (k < 0 || k >= AbiConst.ShapeOverhead.Length) continue;
                ulong drops = U64(q, "drops");
                // The queue counts drops in packets, and keeps no size of them. Each counts as a
                // full-size segment of its leaf's headers (exact for bulk TCP in single segments, more
                // for small ones, less for a GRO super-packet of many segments, which drops as one):
                // a fixed size, so that the count only grows, as a counter must (an estimate from
                // the queue's mean packet moved down as that mean did: 629,303 -> 349,718 bytes).
                ulong payload = (ulong)Math.Max(0, (int)mtu + 14 - AbiConst.ShapeOverhead[k]);
                ShaperQueue s = result.GetValueOrDefault(cls);
                s.QueuedBytes += U64(q, "backlog");
                s.DroppedPackets += drops;
                s.DroppedBytes += drops * payload;
                result[cls] = s;
            }
        }
        return result;
    }

    /// <summary>The largest MTU of each shaped namespace's linked devices (wf_devs), by namespace.</summary>
    private static Dictionary<ulong, uint> DeviceMtus()
    {
        var mtus = new Dictionary<ulong, uint>();
        if (!File.Exists(WfPaths.Pin(BpfNames.MapDevs))) return mtus;
        using var devs = new BpfMap<WfDevKey, WfDev>(BpfNames.MapDevs);
        foreach (WfDevKey k in devs.Keys())
            if (k.Ifindex != 0 && devs.TryLookup(k, out WfDev d) && d.Mtu > mtus.GetValueOrDefault(k.Netns))
                mtus[k.Netns] = d.Mtu;
        return mtus;
    }

    /// <summary>The namespaces with a shaper, their shaped devices and class counts (Get-WfStatus).</summary>
    public static List<ShaperInfo> Describe()
    {
        var list = new List<ShaperInfo>();
        var known = Netns.ByInode();
        var pins = LinkPins().ToList();
        foreach (ulong ns in ShapedNamespaces())
        {
            if (!known.TryGetValue(ns, out string? path)) continue;
            var linked = pins.Where(p => p.Netns == ns).Select(p => p.Ifindex).ToHashSet();
            var devices = ListDevices(path).Where(d => linked.Contains(d.Ifindex)).Select(d => d.Name).ToArray();
            int classes = 0;
            try { classes = ClassMinors(path).Count(m => m <= AbiConst.ShapeMax); }
            catch (ShaperException) { }
            list.Add(new ShaperInfo(ns, devices, classes));
        }
        return list;
    }

    private static void SetUp(string path, ulong ns, IReadOnlyCollection<ShapedRule> rules)
    {
        var devices = ListDevices(path);
        var feeds = devices.Where(d => d.LinkType != "loopback" && d.Kind != "ifb" && d.Name != IfbName).ToList();
        if (feeds.Count == 0)
        {
            TearDown(ns, path); // nothing there a download could arrive through
            return;
        }
        bool ether = feeds.Any(d => d.LinkType == "ether");
        int headerBase = HeaderBase(ether);
        string alias = AliasFor(headerBase);
        Device? own = OwnIfb(devices);
        if (own is not null && own.Alias != alias)
        {
            // an ifb whose root counts other headers (made by an earlier version, or before a device
            // without Ethernet came): htb cannot change a root's size table, so it is made anew
            TearDown(ns, path);
            devices = ListDevices(path);
            own = null;
        }
        uint ifb = own?.Ifindex ?? CreateIfb(path, devices, alias);
        // a new ifb gets its htb root in the same batch as its classes, and has no classes to delete
        string root = own is null ? $"qdisc add dev {IfbName} root handle 1: stab overhead {-headerBase} htb\n" : "";
        SystemTool.Run(path, "tc", new[] { "-force", "-batch", "-" }, root + ClassScript(rules, own is null ? new List<uint>() : ClassMinors(path)));

        var linked = LinkPins().Where(p => p.Netns == ns).ToList();
        using var devs = new BpfMap<WfDevKey, WfDev>(BpfNames.MapDevs);
        foreach (var stale in linked.Where(p => feeds.All(d => d.Ifindex != p.Ifindex)))
        {
            devs.Delete(new WfDevKey(ns, stale.Ifindex));
            File.Delete(stale.Pin);
        }
        using var progIn = BpfFd.OpenPinned(WfPaths.Pin(BpfNames.ProgShapeIn));
        using var progOut = BpfFd.OpenPinned(WfPaths.Pin(BpfNames.ProgShapeOut));
        foreach (Device d in feeds)
        {
            devs.Update(new WfDevKey(ns, d.Ifindex), new WfDev { IfbIfindex = ifb, L2Len = d.LinkType == "ether" ? 14u : 0u, Mtu = (uint)d.Mtu });
            // ingress: the queue (wf_shape_in); egress: the window its connections' ACKs advertise (wf_shape_out)
            Attach(path, d, progIn, BpfNames.ProgShapeIn, Libbpf.BPF_TCX_INGRESS, WfPaths.Pin($"{BpfNames.ShapeLinkPrefix}{ns}-{d.Ifindex}"));
            Attach(path, d, progOut, BpfNames.ProgShapeOut, Libbpf.BPF_TCX_EGRESS, WfPaths.Pin($"{BpfNames.ShapeLinkPrefix}{ns}-{d.Ifindex}{OutSuffix}"));
        }
        // ifindex 0: the namespace has the shaper, so its listeners and connections no longer wake the watcher (bpf/lib/wf_wake.h)
        devs.Update(new WfDevKey(ns, 0), new WfDev { IfbIfindex = ifb });
    }

    /// <summary>Pins of the egress links end with this: shape-NETNS-IFINDEX-out.</summary>
    private const string OutSuffix = "-out";

    private static void Attach(string path, Device d, BpfFd prog, string name, int attachType, string pin)
    {
        if (File.Exists(pin)) return;
        Netns.Run(path, () =>
        {
            string where = attachType == Libbpf.BPF_TCX_INGRESS ? "ingress" : "egress";
            using var link = new BpfFd(LibbpfCheck.Fd(Libbpf.BpfLinkCreate(prog.Fd, (int)d.Ifindex, attachType, null),
                $"Attaching {name} to the {where} of {d.Name}"));
            LibbpfCheck.Int(Libbpf.BpfObjPin(link.Fd, pin), $"Pinning the tcx {where} link of {d.Name}");
        });
    }

    /// <summary>
    /// tc commands that make the classes match the rules: each rule's class at
    /// the rule's rate, each leaf at the rate too, borrowing all of it from the
    /// class, with its header size's <see cref="LeafOverhead"/>, so that a leaf
    /// counts exactly the payload; then the classes of rules that are gone are
    /// deleted. The class counts what the root does (payload, less up to 32
    /// bytes a packet for smaller headers), so it binds no single kind of
    /// traffic, and bounds a mix of kinds within that.
    /// </summary>
    private static string ClassScript(IReadOnlyCollection<ShapedRule> rules, List<uint> existing)
    {
        var sb = new StringBuilder();
        var wanted = rules.Select(r => r.Class).ToHashSet();
        foreach (ShapedRule r in rules)
        {
            ulong burst = Burst(r.Rate);
            ulong limit = Math.Clamp((ulong)(r.Rate * QueueSeconds), MinQueueBytes, MaxQueueBytes);
            sb.Append(CultureInfo.InvariantCulture, $"class replace dev {IfbName} parent 1: classid 1:{r.Class:x} htb rate {r.Rate * 8}bit ceil {r.Rate * 8}bit burst {burst} cburst {burst} quantum 1514\n");
            for (int k = 0; k < AbiConst.ShapeOverhead.Length; k++)
            {
                uint leaf = r.Class | (uint)(k + 1) << AbiConst.ShapeKindShift;
                sb.Append(CultureInfo.InvariantCulture, $"class replace dev {IfbName} parent 1:{r.Class:x} classid 1:{leaf:x} htb rate 8bit ceil {r.Rate * 8}bit overhead {LeafOverhead(k)} cburst {burst} quantum 1514\n");
                sb.Append(CultureInfo.InvariantCulture, $"qdisc replace dev {IfbName} parent 1:{leaf:x} handle {leaf:x}: bfifo limit {limit}\n");
            }
        }
        foreach (uint m in existing.Where(m => !wanted.Contains(m & AbiConst.ShapeMax)).OrderByDescending(m => m)) // leaves (higher minors) before their class
            sb.Append(CultureInfo.InvariantCulture, $"class del dev {IfbName} classid 1:{m:x}\n");
        return sb.ToString();
    }

    /// <summary>The bucket depth of an htb class with this rate in bytes per second (see BurstSeconds).</summary>
    public static ulong Burst(ulong rate) => Math.Clamp((ulong)(rate * BurstSeconds), MinBurstBytes, MaxQueueBytes);

    /// <summary>
    /// The header bytes the ifb's root takes off each packet before htb counts
    /// it (a size table, tc-stab: "stab overhead -N"): the largest it shapes,
    /// IPv6 TCP with timestamps, with the Ethernet header if the feeding
    /// devices have one; each leaf adds back what its own headers are smaller
    /// (<see cref="LeafOverhead"/>). A limit counts payload, and htb counts one
    /// packet's headers once whatever its size: a queue of small segments
    /// (454 bytes on average in a cubic download limited while open, over
    /// 20 ms) spent 15 % of a rate that allowed for full-size segments only
    /// on headers, and gave 0.885 of the rate. Counting payload, they get the
    /// rate; so does a GRO packet, one set of headers for many segments
    /// (Limit.Remote.Tests.ps1, New-WfRemotePath -SuperPackets).
    /// </summary>
    public static int HeaderBase(bool ether) => LargestHeader - (ether ? 0 : 14);

    /// <summary>
    /// What a leaf adds to each packet's length after the root's size table
    /// took HeaderBase off (htb's "overhead", per class): how much smaller
    /// than the largest its kind's headers are (WF_OVH_*: 32, 20, 12, 0), so
    /// that the leaf counts a packet's payload exactly, whatever its size.
    /// </summary>
    public static int LeafOverhead(int kind) => LargestHeader - AbiConst.ShapeOverhead[kind];

    /// <summary>The largest headers a leaf shapes, with Ethernet: IPv6 TCP with timestamps (WF_OVH_IP6_TS).</summary>
    private static readonly int LargestHeader = AbiConst.ShapeOverhead.Max();

    /// <summary>The ifb's alias: who made it, and the headers its root takes off each packet.</summary>
    private static string AliasFor(int headerBase) => $"{IfbAlias}, stab -{headerBase}";

    /// <summary>Makes the ifb (one ip run: each run costs a few ms, and Set-WfLimit should take under 50); returns its ifindex.</summary>
    private static uint CreateIfb(string path, List<Device> devices, string alias)
    {
        if (devices.Any(d => d.Name == IfbName))
            throw new ShaperException($"A device named {IfbName} exists in the network namespace {path} and Wirefisher did not make it: rename it, or remove it, so that Wirefisher can shape ingress there.");
        SystemTool.Run(path, "ip", new[] { "-batch", "-" }, $"link add {IfbName} type ifb\nlink set dev {IfbName} alias \"{alias}\" up\n");
        uint ifindex = 0;
        Netns.Run(path, () => ifindex = Libc.IfNameToIndex(IfbName));
        return ifindex != 0 ? ifindex : throw new ShaperException($"The ifb device {IfbName} vanished in {path} right after it was made.");
    }

    private static void TearDown(ulong ns, string? path)
    {
        if (Directory.Exists(WfPaths.PinDir))
        {
            foreach (var p in LinkPins().Where(p => p.Netns == ns)) File.Delete(p.Pin); // detaches
            if (File.Exists(WfPaths.Pin(BpfNames.MapDevs)))
            {
                using var devs = new BpfMap<WfDevKey, WfDev>(BpfNames.MapDevs);
                foreach (WfDevKey k in devs.Keys().Where(k => k.Netns == ns)) devs.Delete(k);
            }
        }
        if (path is not null && OwnIfb(ListDevices(path)) is not null)
            SystemTool.Run(path, "ip", new[] { "link", "del", IfbName }); // its qdisc and classes go with it
    }

    /// <summary>The minors of the htb classes on the ifb ("class htb 1:abc ..."; tc 6.1 prints classes as text only).</summary>
    private static List<uint> ClassMinors(string path) =>
        SystemTool.Run(path, "tc", new[] { "class", "show", "dev", IfbName }).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 2 && f[0] == "class").Select(f => Minor(f[2])).OfType<uint>().ToList();

    /// <summary>Wirefisher's ifb: its alias is IfbAlias, with the size table's headers after a comma (since 2026-12-04).</summary>
    private static Device? OwnIfb(IEnumerable<Device> devices) =>
        devices.FirstOrDefault(d => d.Name == IfbName && d.Kind == "ifb" &&
            (d.Alias == IfbAlias || d.Alias?.StartsWith(IfbAlias + ", ", StringComparison.Ordinal) == true));

    /// <summary>Namespaces Wirefisher shapes in: from its link pins and wf_devs.</summary>
    private static HashSet<ulong> ShapedNamespaces()
    {
        var set = LinkPins().Select(p => p.Netns).ToHashSet();
        if (File.Exists(WfPaths.Pin(BpfNames.MapDevs)))
        {
            using var devs = new BpfMap<WfDevKey, WfDev>(BpfNames.MapDevs);
            foreach (WfDevKey k in devs.Keys()) set.Add(k.Netns);
        }
        return set;
    }

    private static IEnumerable<(string Pin, ulong Netns, uint Ifindex)> LinkPins()
    {
        if (!Directory.Exists(WfPaths.PinDir)) yield break;
        foreach (string f in Directory.EnumerateFiles(WfPaths.PinDir, BpfNames.ShapeLinkPrefix + "*"))
        {
            string[] parts = Path.GetFileName(f)[BpfNames.ShapeLinkPrefix.Length..].Split('-');
            if ((parts.Length == 2 || (parts.Length == 3 && "-" + parts[2] == OutSuffix)) &&
                ulong.TryParse(parts[0], out ulong ns) && uint.TryParse(parts[1], out uint ifindex))
                yield return (f, ns, ifindex);
        }
    }

    private static List<Device> ListDevices(string path)
    {
        string json;
        try { json = SystemTool.Run(path, "ip", new[] { "-j", "-d", "link", "show" }); }
        catch (ShaperException) { return new List<Device>(); } // the namespace is gone
        return Parse(json).Select(e => new Device(Str(e, "ifname") ?? "", (uint)U64(e, "ifindex"), (int)U64(e, "mtu"),
            Str(e, "link_type") ?? "", e.TryGetProperty("linkinfo", out var li) ? Str(li, "info_kind") : null, Str(e, "ifalias"))).ToList();
    }

    private static List<JsonElement> Parse(string json) =>
        string.IsNullOrWhiteSpace(json) ? new List<JsonElement>() : JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ulong U64(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong u) ? u : 0;

    /// <summary>The minor of a tc handle "1:abc" (hex), or null.</summary>
    private static uint? Minor(string? handle) =>
        handle is not null && handle.StartsWith("1:", StringComparison.Ordinal) && handle.Length > 2 &&
        uint.TryParse(handle[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint m) ? m : null;
}
