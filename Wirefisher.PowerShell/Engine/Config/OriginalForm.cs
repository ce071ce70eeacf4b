using System;
using System.Collections.Generic;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Wirefisher.Engine.Config;

/// <summary>
/// The original tool's form: one section per module (process_module,
/// cgroup_module, eth_module, ip_pro_port_module, tcp_switch_module), each
/// with one rule (or a list of rules) under its rule key, and kafka. A module
/// is on when its section is there. Its rules become the same parameters as
/// Wirefisher's form, without names (the engine derives them).
/// </summary>
internal static class OriginalForm
{
    public const string Kafka = "kafka";

    public static readonly (string Module, string Rule)[] Modules =
    {
        ("process_module", "process_rule"),
        ("cgroup_module", "cgroup_rule"),
        ("eth_module", "eth_rule"),
        ("ip_pro_port_module", "ip_pro_port_rule"),
        ("tcp_switch_module", "tcp_switch_rule"),
    };

    public static readonly string[] RootKeys = Modules.Select(m => m.Module).Append(Kafka).ToArray();

    private static readonly string[] LimitCommon = { "rate_bps", "gress", "time_scale", "only_watch" };
    private static readonly string[] ProcessKeys = new[] { "target_pid" }.Concat(LimitCommon).ToArray();
    private static readonly string[] CgroupKeys = new[] { "target_cgroup" }.Concat(LimitCommon).ToArray();
    private static readonly string[] EthKeys = new[] { "target_if" }.Concat(LimitCommon).ToArray();
    private static readonly string[] TupleKeys =
    {
        "only_watch", "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "rate_bps", "time_scale", "gress",
        "src_ip_enable", "src_port_enable", "dst_ip_enable", "dst_port_enable", "protocol_enable",
    };
    private static readonly string[] SwitchKeys = { "ip", "port", "remote", "congestion" };

    private const string GressAllowed = "ingress (what processes receive) or egress (what they send)";

    public static void Read(ConfigReader r, YamlMappingNode root, ConfigDocument doc)
    {
        var keys = r.Keys(root, RootKeys, "the file", "the original tool's form");
        // In the order of the file, so that errors and rules come as the file has them.
        foreach (ConfigEntry e in keys.Values.OrderBy(e => e.KeyNode.Start.Index))
        {
            if (e.Key == Kafka)
            {
                r.Warn(e.KeyNode, "kafka: Kafka export is not supported, so this section is ignored. Use Watch-WfFlowRate instead and pipe its objects where you need them (Watch-WfFlowRate | ConvertTo-Json -Compress | ...).");
                continue;
            }
            string ruleKey = Modules.First(m => m.Module == e.Key).Rule;
            if (e.Value is not YamlMappingNode module || module.Children.Count == 0)
            {
                if (ConfigReader.IsNull(e.Value) || e.Value is YamlMappingNode)
                    throw r.Error(e.KeyNode, $"{e.Key} is there but has no {ruleKey}, and a module that is there is on. Give its rule under '{ruleKey}:', or remove {e.Key}.");
                throw r.Error(e.Value, $"{e.Key} is a {ConfigReader.Kind(e.Value)}, but it must be a mapping with the key {ruleKey}. Write '{ruleKey}:' on the next line, indented, with the rule's keys below it.");
            }
            var mk = r.Keys(module, new[] { ruleKey }, e.Key, $"{e.Key} (it has one key)");
            ConfigEntry rule = mk[ruleKey];
            string section = $"{e.Key}.{ruleKey}";
            foreach (var (node, label) in RuleMappings(r, rule, section))
                doc.Rules.Add(e.Key switch
                {
                    "process_module" => Single(r, node, label, ProcessKeys, "target_pid", "Pid"),
                    "cgroup_module" => Single(r, node, label, CgroupKeys, "target_cgroup", "Cgroup"),
                    "eth_module" => Single(r, node, label, EthKeys, "target_if", "Interface"),
                    "ip_pro_port_module" => Tuple(r, node, label),
                    _ => Switch(r, node, label),
                });
        }
        if (doc.Rules.Count == 0)
            throw r.Error(root, "The file has no rules: kafka is its only section, and Kafka export is not supported. Give a module (process_module, cgroup_module, eth_module, ip_pro_port_module, tcp_switch_module); an import with no rules would remove every rule in force.");
    }

    /// <summary>One rule mapping, or a list of them ("process_rule[1]").</summary>
    private static IEnumerable<(YamlMappingNode, string)> RuleMappings(ConfigReader r, ConfigEntry e, string section)
    {
        if (e.Value is YamlMappingNode one)
        {
            yield return (one, section);
            yield break;
        }
        if (e.Value is not YamlSequenceNode seq || seq.Children.Count == 0)
            throw r.Error(e.Value, $"{section} is {(ConfigReader.IsNull(e.Value) ? "empty" : e.Value is YamlSequenceNode ? "an empty list" : "a single value")}, but it must be a rule: a mapping of keys (rate_bps, gress, ...) or a list of such mappings. Give the rule's keys below {e.Key}, indented.");
        for (int i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is not YamlMappingNode m)
                throw r.Error(seq.Children[i], $"{section}[{i}] is a {ConfigReader.Kind(seq.Children[i])}, but each item of {e.Key} is a rule: a mapping of keys (rate_bps, gress, ...).");
            yield return (m, $"{section}[{i}]");
        }
    }

    /// <summary>process_rule, cgroup_rule, eth_rule: one target key, then rate_bps, gress, time_scale.</summary>
    private static ConfigRule Single(ConfigReader r, YamlMappingNode m, string label, string[] known, string targetKey, string parameter)
    {
        var keys = r.Keys(m, known, label, $"a {label.Split('.')[1].Split('[')[0]}");
        var rule = new ConfigRule { Where = r.Where(m), Section = label };
        if (!keys.TryGetValue(targetKey, out ConfigEntry? t))
            throw r.Error(m, $"{label} has no {targetKey}, so it has no target. Give {targetKey}: {TargetAllowed(targetKey)}.");
        rule.Parameters[parameter] = parameter switch
        {
            "Pid" => ConfigValues.Pid(r, t, label),
            "Cgroup" => ConfigValues.NonEmpty(r, t, label, TargetAllowed(targetKey)),
            _ => ConfigValues.Interface(r, t, label),
        };
        string dir = Gress(r, m, keys, label);
        Limit(r, m, keys, label, rule, dir);
        return rule;
    }

    private static string TargetAllowed(string key) => key switch
    {
        "target_pid" => "a process ID, a whole number from 1",
        "target_cgroup" => "a cgroup v2 directory (/sys/fs/cgroup/mygroup) or a path below the cgroup v2 mount (/system.slice/nginx.service)",
        _ => "the name of a network device as 'ip link' lists it (ens33)",
    };

    /// <summary>gress: required; the original had no default.</summary>
    private static string Gress(ConfigReader r, YamlMappingNode m, Dictionary<string, ConfigEntry> keys, string label)
    {
        if (!keys.TryGetValue("gress", out ConfigEntry? g))
            throw r.Error(m, $"{label} has no gress. Give gress: {GressAllowed}.");
        string t = r.Text(g, label, GressAllowed).Trim();
        return t.ToLowerInvariant() switch
        {
            "ingress" => "Ingress",
            "egress" => "Egress",
            _ => throw r.Error(g.Value, $"{label}: gress is '{t}', which is not a direction of the original's form. Give {GressAllowed}."),
        };
    }

    /// <summary>Direction, rate_bps (unless only_watch), time_scale.</summary>
    private static void Limit(ConfigReader r, YamlMappingNode m, Dictionary<string, ConfigEntry> keys, string label, ConfigRule rule, string dir)
    {
        var p = rule.Parameters;
        p["Direction"] = dir;
        bool watch = keys.TryGetValue("only_watch", out ConfigEntry? w) && r.Flag(w, label);
        if (watch)
        {
            p["WatchOnly"] = true;
            if (keys.TryGetValue("rate_bps", out ConfigEntry? ignored))
                r.Warn(ignored.KeyNode, $"{label}: rate_bps is ignored because only_watch is enable: the rule records the traffic and does not limit it.");
        }
        else if (keys.TryGetValue("rate_bps", out ConfigEntry? rate))
            p["Rate"] = ConfigValues.Rate(r, rate, label);
        else
            throw r.Error(m, $"{label} has no rate_bps. Give rate_bps: {ConfigValues.RateAllowed}; or only_watch: enable to record the traffic without limiting it.");
        if (keys.TryGetValue("time_scale", out ConfigEntry? ts))
            p["TimeScale"] = ConfigValues.TimeScale(r, ts, label);
    }

    /// <summary>ip_pro_port_rule: an address/port/protocol match; src and dst become local and remote by gress.</summary>
    private static ConfigRule Tuple(ConfigReader r, YamlMappingNode m, string label)
    {
        var keys = r.Keys(m, TupleKeys, label, "an ip_pro_port_rule");
        var rule = new ConfigRule { Where = r.Where(m), Section = label };
        var p = rule.Parameters;
        string dir = Gress(r, m, keys, label);
        bool ingress = dir == "Ingress";
        // Ingress: the source is the other end. Egress: the source is this host.
        string Side(string srcOrDst) => (srcOrDst == "src") == ingress ? "Remote" : "Local";

        var local = new List<Prefix>();
        var remote = new List<Prefix>();
        PortRange localPort = PortRange.Any, remotePort = PortRange.Any;
        byte protocol = 0;
        foreach (string end in new[] { "src", "dst" })
        {
            if (Enabled(r, keys, $"{end}_ip", label) is { } ip && !IsAnyAddress(r.Text(ip, label, ConfigValues.AddressAllowed)))
            {
                var (texts, prefixes) = ConfigValues.Addresses(r, ip, label);
                p[Side(end) + "Address"] = texts;
                (Side(end) == "Local" ? local : remote).AddRange(prefixes);
            }
            if (Enabled(r, keys, $"{end}_port", label) is { } port)
            {
                var (text, range) = ConfigValues.Port(r, port, label);
                if (range != new PortRange(0, 0))
                {
                    p[Side(end) + "Port"] = text;
                    if (Side(end) == "Local") localPort = range; else remotePort = range;
                }
            }
        }
        if (Enabled(r, keys, "protocol", label) is { } proto)
        {
            var (text, number) = ConfigValues.Protocol(r, proto, label, "TCP, UDP, ICMP, ICMPv6, a protocol number, or 0 for any");
            if (number != 0)
            {
                p["Protocol"] = text;
                protocol = number;
            }
        }
        if (protocol == 0 && local.Count == 0 && remote.Count == 0 && localPort.IsAny && remotePort.IsAny)
            throw r.Error(m, $"{label} would match every packet: no address, port or protocol is enabled with a value other than 0 (any). Enable at least one (for example dst_port_enable: enable with dst_port: 443).");
        ConfigValues.CheckTuple(r, m, label, protocol, local, remote, localPort, remotePort, "its ports");
        Limit(r, m, keys, label, rule, dir);
        return rule;
    }

    /// <summary>
    /// The entry of a field whose *_enable flag is enable; null when it is
    /// disable (the field is ignored, its value unread) or when the field is
    /// not there. A field without its flag is ignored too, with a warning.
    /// </summary>
    private static ConfigEntry? Enabled(ConfigReader r, Dictionary<string, ConfigEntry> keys, string field, string label)
    {
        keys.TryGetValue(field, out ConfigEntry? value);
        if (!keys.TryGetValue(field + "_enable", out ConfigEntry? flag))
        {
            if (value is not null && !(value.Value is YamlScalarNode s && (ConfigReader.IsNull(s) || s.Value!.Trim() == "0")))
                r.Warn(value.KeyNode, $"{label}: {field} is ignored because there is no {field}_enable. Add {field}_enable: enable to match it.");
            return null;
        }
        if (!r.Flag(flag, label)) return null;
        if (value is null)
            throw r.Error(flag.KeyNode, $"{label}: {field}_enable is enable, but there is no {field}. Give {field} (0 for any), or write {field}_enable: disable.");
        return value;
    }

    /// <summary>The original's 0 for any address (0.0.0.0 and :: too, which as exact addresses match nothing).</summary>
    private static bool IsAnyAddress(string text) => text.Trim() is "0" or "0.0.0.0" or "::";

    /// <summary>tcp_switch_rule: a congestion-control rule; remote picks the end that ip and port are of.</summary>
    private static ConfigRule Switch(ConfigReader r, YamlMappingNode m, string label)
    {
        var keys = r.Keys(m, SwitchKeys, label, "a tcp_switch_rule");
        var rule = new ConfigRule { Where = r.Where(m), Section = label, IsCongestion = true };
        var p = rule.Parameters;
        if (!keys.TryGetValue("remote", out ConfigEntry? re))
            throw r.Error(m, $"{label} has no remote. Give remote: true to match ip and port at the other end, or false to match this host's.");
        string side = r.Flag(re, label) ? "Remote" : "Local";

        var local = new List<Prefix>();
        var remote = new List<Prefix>();
        PortRange localPort = PortRange.Any, remotePort = PortRange.Any;
        if (keys.TryGetValue("ip", out ConfigEntry? ip) && !IsAnyAddress(r.Text(ip, label, ConfigValues.AddressAllowed)))
        {
            var (texts, prefixes) = ConfigValues.Addresses(r, ip, label);
            p[side + "Address"] = texts;
            (side == "Local" ? local : remote).AddRange(prefixes);
        }
        if (keys.TryGetValue("port", out ConfigEntry? port))
        {
            var (text, range) = ConfigValues.Port(r, port, label);
            if (range != new PortRange(0, 0))
            {
                p[side + "Port"] = text;
                if (side == "Local") localPort = range; else remotePort = range;
            }
        }
        if (local.Count == 0 && remote.Count == 0 && localPort.IsAny && remotePort.IsAny)
            throw r.Error(m, $"{label} would match every TCP connection: ip and port are both 0 (any). Give an ip or a port; to change the algorithm of every connection, set the sysctl net.ipv4.tcp_congestion_control instead.");
        if (!keys.TryGetValue("congestion", out ConfigEntry? cc))
            throw r.Error(m, $"{label} has no congestion, the algorithm to switch to. Give congestion: {ConfigValues.AlgorithmAllowed}.");
        p["Algorithm"] = ConfigValues.Algorithm(r, cc, label);
        return rule;
    }
}
