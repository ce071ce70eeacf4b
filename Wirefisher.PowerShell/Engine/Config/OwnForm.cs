using System;
using System.Collections.Generic;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Wirefisher.Engine.Config;

/// <summary>
/// Wirefisher's own form: "rules" (Set-WfLimit rules) and "congestionControl"
/// (Set-WfCongestionControl rules), each a list of mappings whose keys are the
/// cmdlet parameter names (read case-insensitively).
/// </summary>
internal static class OwnForm
{
    public const string RulesKey = "rules", CongestionKey = "congestionControl";
    public static readonly string[] RootKeys = { RulesKey, CongestionKey };

    /// <summary>The keys of a limit rule, in the order Write puts them.</summary>
    public static readonly string[] LimitKeys =
    {
        "Name", "Pid", "ProcessName", "Path", "User", "Cgroup", "Interface",
        "Protocol", "LocalAddress", "LocalPort", "RemoteAddress", "RemotePort",
        "Rate", "Direction", "TimeScale", "WatchOnly", "PerProcess", "NoShaping",
    };

    /// <summary>The keys of a congestion-control rule, in the order Write puts them.</summary>
    public static readonly string[] CongestionKeys =
    {
        "Name", "ProcessName", "LocalAddress", "LocalPort", "RemoteAddress", "RemotePort", "Algorithm",
    };

    private static readonly string[] TupleKeys = { "Protocol", "LocalAddress", "LocalPort", "RemoteAddress", "RemotePort" };
    private static readonly string[] SingleTargets = { "Pid", "ProcessName", "Path", "User", "Cgroup", "Interface" };

    private static readonly Dictionary<string, string> LimitHints = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Id"] = "Write Pid.", ["OwningProcess"] = "Write Pid.", ["FilePath"] = "Write Path.",
        ["UserName"] = "Write User.", ["InterfaceAlias"] = "Write Interface.",
        ["RateBps"] = "Write Rate.", ["rate_bps"] = "Write Rate (rate_bps is a key of the original tool's form).",
        ["Algorithm"] = "Algorithm belongs to a congestion rule: put the rule under congestionControl.",
        ["PassThru"] = "PassThru is a switch of the cmdlet, not a property of a rule: leave it out.",
    };

    private static readonly Dictionary<string, string> CongestionHints = new(StringComparer.OrdinalIgnoreCase)
    {
        ["congestion"] = "Write Algorithm.",
        ["Protocol"] = "Congestion control is for TCP alone, so a congestion rule takes no Protocol: leave it out.",
    };

    static OwnForm()
    {
        foreach (string k in LimitKeys.Except(CongestionKeys))
            CongestionHints.TryAdd(k, $"A congestion rule sets the TCP algorithm of connections and does not limit them, so it takes no {k}. Put limits under rules.");
    }

    public static void Read(ConfigReader r, YamlMappingNode root, ConfigDocument doc)
    {
        var keys = r.Keys(root, RootKeys, "the file", "Wirefisher's form");
        var names = new Dictionary<(string Name, string Dir), (string Label, YamlNode Node)>();
        if (keys.TryGetValue(RulesKey, out ConfigEntry? rules))
        {
            int i = 0;
            foreach (YamlMappingNode m in Items(r, rules, "limit rules"))
                doc.Rules.Add(Limit(r, m, $"{RulesKey}[{i++}]", names));
        }
        if (keys.TryGetValue(CongestionKey, out ConfigEntry? cc))
        {
            int i = 0;
            foreach (YamlMappingNode m in Items(r, cc, "congestion-control rules"))
                doc.Rules.Add(Congestion(r, m, $"{CongestionKey}[{i++}]", names));
        }
    }

    /// <summary>The mappings of a list section; no value or [] is no rules.</summary>
    private static IEnumerable<YamlMappingNode> Items(ConfigReader r, ConfigEntry e, string what)
    {
        if (ConfigReader.IsNull(e.Value)) yield break;
        if (e.Value is not YamlSequenceNode seq)
            throw r.Error(e.Value, $"{e.Key} is a {ConfigReader.Kind(e.Value)}, but it must be a list of {what}. Begin each rule with '- ' (- Name: web), or write '{e.Key}: []' for none.");
        for (int i = 0; i < seq.Children.Count; i++)
        {
            YamlNode item = seq.Children[i];
            if (item is not YamlMappingNode m)
                throw r.Error(item, $"{e.Key}[{i}] is a {ConfigReader.Kind(item)}, but each item of {e.Key} is a rule: a mapping of keys and values, such as '- Name: web' with the other keys below it.");
            yield return m;
        }
    }

    /// <summary>"rules[3] (https-in)" when the rule has a usable name, for messages.</summary>
    private static string Label(YamlMappingNode m, string section)
    {
        foreach (var (k, v) in m.Children)
            if (k is YamlScalarNode { Value: { } key } && key.Equals("Name", StringComparison.OrdinalIgnoreCase)
                && v is YamlScalarNode { Value: { Length: > 0 and <= 63 } name } && !name.Any(char.IsControl))
                return $"{section} ({name})";
        return section;
    }

    private static ConfigRule Limit(ConfigReader r, YamlMappingNode m, string section, Dictionary<(string, string), (string, YamlNode)> names)
    {
        string label = Label(m, section);
        var keys = r.Keys(m, LimitKeys, label, "a limit rule", LimitHints);
        var rule = new ConfigRule { Where = r.Where(m), Section = section };
        var p = rule.Parameters;

        // Exactly one kind of target, in the order the file gives them.
        var kinds = keys.Values.Where(e => SingleTargets.Contains(e.Key) || TupleKeys.Contains(e.Key))
            .OrderBy(e => e.KeyNode.Start.Index)
            .GroupBy(e => TupleKeys.Contains(e.Key) ? "address match" : e.Key)
            .ToList();
        if (kinds.Count == 0)
            throw r.Error(m, $"{label} has no target. Give one of Pid, ProcessName, Path, User, Cgroup, Interface, or an address match (any of Protocol, LocalAddress, RemoteAddress, LocalPort, RemotePort).");
        if (kinds.Count > 1)
        {
            ConfigEntry second = kinds[1].First();
            throw r.Error(second.KeyNode, $"{label} has two targets: {Say(kinds[0])} and {Say(kinds[1])}. A rule has one target; make a rule for each of them.");
        }

        foreach (ConfigEntry e in keys.Values.OrderBy(e => Array.IndexOf(LimitKeys, e.Key)))
        {
            p[e.Key] = e.Key switch
            {
                "Name" => ConfigValues.Name(r, e, label),
                "Pid" => ConfigValues.Pid(r, e, label),
                "ProcessName" => ConfigValues.ProcessName(r, e, label),
                "Path" => ConfigValues.Path(r, e, label),
                "User" => ConfigValues.NonEmpty(r, e, label, "a user name or a numeric UID"),
                "Cgroup" => ConfigValues.NonEmpty(r, e, label, "a cgroup v2 path as /proc/PID/cgroup shows it (/system.slice/nginx.service)"),
                "Interface" => ConfigValues.Interface(r, e, label),
                "Protocol" => OwnProtocol(r, e, label),
                "LocalAddress" or "RemoteAddress" => ConfigValues.Addresses(r, e, label).Texts,
                "LocalPort" or "RemotePort" => ConfigValues.Port(r, e, label).Text,
                "Rate" => ConfigValues.Rate(r, e, label),
                "Direction" => ConfigValues.Direction(r, e, label),
                "TimeScale" => ConfigValues.TimeScale(r, e, label),
                _ => r.Flag(e, label), // WatchOnly, PerProcess, NoShaping
            };
        }

        if (kinds[0].Key == "address match")
            CheckTuple(r, m, label, keys, p.TryGetValue("Protocol", out object? proto) ? TupleMatch.ParseProtocol((string)proto!) : (byte)0);

        bool watch = p.TryGetValue("WatchOnly", out object? w) && (bool)w!;
        if (watch && keys.TryGetValue("Rate", out ConfigEntry? rate))
            throw r.Error(rate.KeyNode, $"{label} has both Rate and WatchOnly: true. A watch-only rule counts traffic and never limits it, so it takes no Rate. Leave out Rate, or WatchOnly to limit.");
        if (!watch && !p.ContainsKey("Rate"))
            throw r.Error(m, $"{label} has no Rate. Give Rate ({ConfigValues.RateAllowed}), or WatchOnly: true to count the traffic without limiting it.");

        if (keys.TryGetValue("Name", out ConfigEntry? name))
        {
            string dir = p.TryGetValue("Direction", out object? d) ? (string)d! : "Both";
            foreach (string one in dir == "Both" ? new[] { "Ingress", "Egress" } : new[] { dir })
                Claim(r, names, (string)p["Name"]!, one, label, name.Value, $"in the {one} direction");
        }
        return rule;
    }

    private static ConfigRule Congestion(ConfigReader r, YamlMappingNode m, string section, Dictionary<(string, string), (string, YamlNode)> names)
    {
        string label = Label(m, section);
        var keys = r.Keys(m, CongestionKeys, label, "a congestion rule", CongestionHints);
        var rule = new ConfigRule { Where = r.Where(m), Section = section, IsCongestion = true };
        var p = rule.Parameters;

        bool byName = keys.TryGetValue("ProcessName", out ConfigEntry? pn);
        var tuple = keys.Values.Where(e => TupleKeys.Contains(e.Key)).OrderBy(e => e.KeyNode.Start.Index).ToList();
        if (!byName && tuple.Count == 0)
            throw r.Error(m, $"{label} has no target. Give ProcessName, or any of LocalAddress, RemoteAddress, LocalPort, RemotePort: the new TCP connections that match get the algorithm.");
        if (byName && tuple.Count > 0)
        {
            ConfigEntry second = pn!.KeyNode.Start.Index < tuple[0].KeyNode.Start.Index ? tuple[0] : pn;
            throw r.Error(second.KeyNode, $"{label} has two targets: ProcessName and an address match ({string.Join(", ", tuple.Select(t => t.Key))}). A congestion rule has one target; make a rule for each of them.");
        }

        foreach (ConfigEntry e in keys.Values.OrderBy(e => Array.IndexOf(CongestionKeys, e.Key)))
        {
            p[e.Key] = e.Key switch
            {
                "Name" => ConfigValues.Name(r, e, label),
                "ProcessName" => ConfigValues.ProcessName(r, e, label),
                "LocalAddress" or "RemoteAddress" => ConfigValues.Addresses(r, e, label).Texts,
                "LocalPort" or "RemotePort" => ConfigValues.Port(r, e, label).Text,
                _ => ConfigValues.Algorithm(r, e, label),
            };
        }
        if (!byName)
            CheckTuple(r, m, label, keys, 6);
        if (!p.ContainsKey("Algorithm"))
            throw r.Error(m, $"{label} has no Algorithm. Give Algorithm: {ConfigValues.AlgorithmAllowed}.");

        if (keys.TryGetValue("Name", out ConfigEntry? name))
            Claim(r, names, (string)p["Name"]!, "congestion", label, name.Value, "among the congestion rules");
        return rule;
    }

    private static string Say(IGrouping<string, ConfigEntry> kind) =>
        kind.Key == "address match" ? $"an address match ({string.Join(", ", kind.Select(e => e.Key))})" : kind.Key;

    private static string OwnProtocol(ConfigReader r, ConfigEntry e, string label)
    {
        var (text, number) = ConfigValues.Protocol(r, e, label);
        if (number == 0)
            throw r.Error(e.Value, $"{label}: Protocol 0 means any protocol. Leave Protocol out to match any, or give {ConfigValues.ProtocolAllowed}.");
        return text;
    }

    private static void CheckTuple(ConfigReader r, YamlMappingNode m, string label, Dictionary<string, ConfigEntry> keys, byte protocol)
    {
        List<Prefix> Prefixes(string k) => keys.TryGetValue(k, out ConfigEntry? e) ? ConfigValues.Addresses(r, e, label).Prefixes : new List<Prefix>();
        PortRange Port(string k) => keys.TryGetValue(k, out ConfigEntry? e) ? ConfigValues.Port(r, e, label).Range : PortRange.Any;
        ConfigValues.CheckTuple(r, m, label, protocol, Prefixes("LocalAddress"), Prefixes("RemoteAddress"),
            Port("LocalPort"), Port("RemotePort"), "its ports");
    }

    /// <summary>A name belongs to one rule per direction (not case-sensitive).</summary>
    private static void Claim(ConfigReader r, Dictionary<(string, string), (string Label, YamlNode Node)> names,
        string name, string scope, string label, YamlNode node, string where)
    {
        var key = (name.ToLowerInvariant(), scope);
        if (names.TryGetValue(key, out var first))
            throw r.Error(node, $"{label}: the name '{name}' is already the name of {first.Label} (line {first.Node.Start.Line}) {where}. Names are unique per direction and not case-sensitive (Direction Both counts as Ingress and Egress); give this rule another name.");
        names[key] = (label, node);
    }
}
