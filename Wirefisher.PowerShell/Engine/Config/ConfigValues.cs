using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Wirefisher.Engine.Config;

/// <summary>
/// Checks the values of both forms with the engine's own parsers (the ones
/// Set-WfLimit uses), so that a file is refused for the same values as the
/// cmdlet, and returns them as the Parameters keep them.
/// </summary>
internal static class ConfigValues
{
    public const string RateAllowed = "bytes per second: a number (1048576) or a number with a unit, such as 512K, 5MB, 2G (powers of 1024) or 8Mbit (bits, powers of 1000); at least 1024 (1K)";
    public const string TimeScaleAllowed = "a time from more than 0 to 1 hour: 500ms, 1s, 2m, 1h (a plain number is seconds)";
    public const string AddressAllowed = "an IPv4 or IPv6 address (10.0.0.1, fd00::1) or prefix (10.9.0.0/16, fd00::/8)";
    public const string PortAllowed = "a port from 0 to 65535 (443) or a range low-high (8000-8100)";
    public const string ProtocolAllowed = "TCP, UDP, ICMP, ICMPv6 or a protocol number from 1 to 255";
    public const string NameAllowed = "1 to 63 bytes of text without * ? [ ] ` or control characters";
    public const string AlgorithmAllowed = "the name of a TCP congestion control algorithm, such as cubic, bbr or reno (1 to 15 letters, digits or _; /proc/sys/net/ipv4/tcp_available_congestion_control lists those of this kernel)";
    public const string DirectionAllowed = "Ingress (received), Egress (sent) or Both";

    private static readonly Regex AlgorithmRx = new(@"^[A-Za-z0-9_]{1,15}$", RegexOptions.CultureInvariant);
    private static readonly Regex BareNumberRx = new(@"^\d+(\.\d+)?$", RegexOptions.CultureInvariant);

    /// <summary>A rate, kept as written; checked by RateParser and the engine's minimum.</summary>
    public static string Rate(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, RateAllowed).Trim();
        if (t.StartsWith('-'))
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', a negative rate. A rate cannot be negative: give {RateAllowed}.");
        ulong rate;
        try
        {
            rate = RateParser.RateFrom(t);
        }
        catch (FormatException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a rate (the unit is not known). Give {RateAllowed}.");
        }
        if (rate == 0)
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', a rate of zero. The smallest rate is {RateParser.MinRate} bytes per second (1K); to let nothing through is not a limit. Give {RateAllowed}, or remove the rule.");
        try
        {
            RuleService.Validate(rate, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}' ({rate} bytes per second), below the smallest rate of {RateParser.MinRate} bytes per second (1K). Give {RateAllowed}.");
        }
        return t;
    }

    /// <summary>A time scale, kept as written ("500ms"); a plain number is seconds and becomes "Ns".</summary>
    public static string TimeScale(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, TimeScaleAllowed).Trim();
        if (BareNumberRx.IsMatch(t)) t += "s"; // RateParser would read "2" as a TimeSpan of 2 days
        TimeSpan ts;
        try
        {
            ts = RateParser.TimeSpanFrom(t);
        }
        catch (FormatException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a time scale. Give {TimeScaleAllowed}.");
        }
        try
        {
            RuleService.Validate(RateParser.MinRate, ts);
        }
        catch (ArgumentException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}' ({ts}), but the time scale must be more than 0 and at most 1 hour. Give {TimeScaleAllowed}.");
        }
        return t;
    }

    /// <summary>"Ingress", "Egress" or "Both" (also Inbound/In, Outbound/Out, as Set-WfLimit takes them).</summary>
    public static string Direction(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, DirectionAllowed).Trim();
        return t.ToLowerInvariant() switch
        {
            "ingress" or "inbound" or "in" => "Ingress",
            "egress" or "outbound" or "out" => "Egress",
            "both" => "Both",
            _ => throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a direction. Give {DirectionAllowed}."),
        };
    }

    /// <summary>An address or prefix, kept as written; checked by Prefix.Parse.</summary>
    public static Prefix Address(ConfigReader r, string text, YamlNode node, string key, string label)
    {
        try
        {
            return Prefix.Parse(text);
        }
        catch (ArgumentException ex)
        {
            throw r.Error(node, $"{label}: {key} '{text.Trim()}' is not an address. {ex.Message}");
        }
    }

    public static (string[] Texts, List<Prefix> Prefixes) Addresses(ConfigReader r, ConfigEntry e, string label)
    {
        var items = r.TextList(e, label, AddressAllowed);
        var prefixes = items.Select(i => Address(r, i.Text, i.Node, e.Key, label)).ToList();
        return (items.Select(i => i.Text.Trim()).ToArray(), prefixes);
    }

    /// <summary>A port or range, kept as written ("443", "8000-8100"); checked by PortRange.Parse.</summary>
    public static (string Text, PortRange Range) Port(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, PortAllowed).Trim();
        try
        {
            return (t, PortRange.Parse(t));
        }
        catch (ArgumentException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a port: ports are 0 to 65535. Give {PortAllowed}.");
        }
    }

    /// <summary>The protocol by name ("TCP") or number; 0 (any) is refused: leave the key out instead.</summary>
    public static (string Text, byte Number) Protocol(ConfigReader r, ConfigEntry e, string label, string allowed = ProtocolAllowed)
    {
        string t = r.Text(e, label, allowed).Trim();
        byte p;
        try
        {
            p = TupleMatch.ParseProtocol(t);
        }
        catch (ArgumentException)
        {
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a protocol. Give {allowed}.");
        }
        return (TupleMatch.ProtocolName(p), p);
    }

    public static string Name(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, NameAllowed);
        try
        {
            RuleNames.Validate(t);
        }
        catch (ArgumentException ex)
        {
            throw r.Error(e.Value, $"{label}: Name: {ex.Message}");
        }
        return t;
    }

    public static string Algorithm(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, AlgorithmAllowed).Trim();
        if (!AlgorithmRx.IsMatch(t))
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which cannot be the name of an algorithm. Give {AlgorithmAllowed}.");
        return t;
    }

    /// <summary>A process name or * ? pattern as the kernel matches names (RuleTarget.ForProcessName checks it).</summary>
    public static string ProcessName(ConfigReader r, ConfigEntry e, string label)
    {
        string t = r.Text(e, label, "a process name as Get-Process shows it (firefox) or a pattern with * and ? (fire*)");
        try
        {
            RuleTarget.ForProcessName(t);
        }
        catch (ArgumentException ex)
        {
            throw r.Error(e.Value, $"{label}: {e.Key}: {ex.Message}");
        }
        return t.Trim();
    }

    /// <summary>Text that must not be empty (User, Cgroup); kept as written, trimmed.</summary>
    public static string NonEmpty(ConfigReader r, ConfigEntry e, string label, string allowed)
    {
        string t = r.Text(e, label, allowed).Trim();
        if (t.Length == 0)
            throw r.Error(e.Value, $"{label}: {e.Key} is empty. Give {allowed}.");
        return t;
    }

    /// <summary>An executable's absolute path: a file's rules must not depend on the directory of the shell that imports it.</summary>
    public static string Path(ConfigReader r, ConfigEntry e, string label)
    {
        const string allowed = "the absolute path of an executable file, such as /usr/bin/rsync";
        string t = NonEmpty(r, e, label, allowed);
        if (!t.StartsWith('/'))
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', a relative path; a file's paths must not depend on the current directory. Give {allowed}.");
        return t;
    }

    /// <summary>A network device name: 1 to 15 bytes, no /, no spaces (as the kernel allows them).</summary>
    public static string Interface(ConfigReader r, ConfigEntry e, string label)
    {
        const string allowed = "the name of a network device as 'ip link' lists it, such as eth0 or wg0 (1 to 15 bytes, no / or spaces)";
        string t = NonEmpty(r, e, label, allowed);
        if (t.Contains('/') || t.Any(char.IsWhiteSpace) || t.Any(char.IsControl) || System.Text.Encoding.UTF8.GetByteCount(t) > 15 || t is "." or "..")
            throw r.Error(e.Value, $"{label}: {e.Key} is '{t}', which cannot be a device name. Give {allowed}.");
        return t;
    }

    public static int Pid(ConfigReader r, ConfigEntry e, string label) =>
        r.Integer(e, label, "a process ID, a whole number from 1 (as Get-Process shows it in Id)", 1, int.MaxValue);

    /// <summary>
    /// The engine's own checks of an address/port match: local and remote of one
    /// family (TupleMatch.ToKernel) and not everything (RuleTarget.ForTuple).
    /// </summary>
    public static void CheckTuple(ConfigReader r, YamlNode node, string label, byte protocol,
        List<Prefix> local, List<Prefix> remote, PortRange localPort, PortRange remotePort, string what)
    {
        var m = new TupleMatch(protocol, local.Distinct().ToList(), remote.Distinct().ToList(), localPort, remotePort);
        if (m.MatchesAnything)
            throw r.Error(node, $"{label}: the rule would match every connection ({what} match anything). Give an address, a port or a protocol that narrows it.");
        try
        {
            m.ToKernel(0, 0);
        }
        catch (ArgumentException)
        {
            throw r.Error(node, $"{label}: the local addresses are all IPv4 and the remote ones all IPv6, or the other way round: no connection has both. Give addresses of one family on both sides.");
        }
    }

    public static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
