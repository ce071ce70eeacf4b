using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using Wirefisher.Native.Abi;

namespace Wirefisher.Engine;

/// <summary>An address prefix (an address is a /32 or /128).</summary>
public readonly record struct Prefix(IPAddress Address, int Length)
{
    public bool IsV4 => Address.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>Parses "10.0.0.1", "10.9.0.0/16", "fd00::/8"; throws ArgumentException saying how to write one.</summary>
    public static Prefix Parse(string text)
    {
        string s = text.Trim();
        int slash = s.IndexOf('/');
        string addr = slash < 0 ? s : s[..slash];
        if (!IPAddress.TryParse(addr, out IPAddress? a) || addr.Contains('%'))
            throw new ArgumentException($"'{text}' is not an IPv4 or IPv6 address or prefix. Write an address (10.0.0.1, fd00::1) or a prefix (10.9.0.0/16, fd00::/8).");
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
        int max = a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int len = max;
        if (slash >= 0 && (!int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out len) || len > max || len == 0))
            throw new ArgumentException($"'{text}' has a bad prefix length: after the / write a number from 1 to {max} (for any address, leave the address out).");
        return new Prefix(Masked(a, len), len);
    }

    private static IPAddress Masked(IPAddress a, int len)
    {
        byte[] b = a.GetAddressBytes();
        for (int i = 0; i < b.Length; i++)
        {
            int bits = Math.Clamp(len - 8 * i, 0, 8);
            b[i] &= (byte)(0xff << (8 - bits));
        }
        return new IPAddress(b);
    }

    public override string ToString() => Length == (IsV4 ? 32 : 128) ? Address.ToString() : $"{Address}/{Length}";
}

/// <summary>A port range [Low, High]; any = 0-65535.</summary>
public readonly record struct PortRange(ushort Low, ushort High)
{
    public static readonly PortRange Any = new(0, 65535);
    public bool IsAny => Low == 0 && High == 65535;

    /// <summary>Parses 443, "443" or "8000-8100"; throws ArgumentException when out of 0-65535.</summary>
    public static PortRange Parse(object value)
    {
        string s = value?.ToString()?.Trim() ?? "";
        string[] parts = s.Split('-');
        if (parts.Length is 1 or 2 && parts.All(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 65535))
        {
            int lo = int.Parse(parts[0], CultureInfo.InvariantCulture), hi = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (lo <= hi) return new PortRange((ushort)lo, (ushort)hi);
        }
        throw new ArgumentException($"'{s}' is not a port or port range. Write a port from 0 to 65535 (443) or a range low-high (8000-8100).");
    }

    public override string ToString() => Low == High ? Low.ToString(CultureInfo.InvariantCulture) : $"{Low}-{High}";
}

/// <summary>
/// What a Tuple rule matches: a protocol, local and remote prefixes and port
/// ranges, each optional (at least one given). It becomes one kernel matcher
/// (wf_tuple_rule) per local x remote prefix pair of the same family.
/// </summary>
public sealed record TupleMatch(byte Protocol, IReadOnlyList<Prefix> Local, IReadOnlyList<Prefix> Remote, PortRange LocalPort, PortRange RemotePort)
{
    private static readonly Dictionary<string, byte> Protocols = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TCP"] = 6, ["UDP"] = 17, ["ICMP"] = 1, ["ICMPv6"] = 58,
    };

    /// <summary>"TCP", "udp", "ICMP", "ICMPv6" or a number 0-255 (0 = any); throws ArgumentException otherwise.</summary>
    public static byte ParseProtocol(string text) =>
        Protocols.TryGetValue(text.Trim(), out byte p) ? p
        : byte.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out byte n) ? n
        : throw new ArgumentException($"'{text}' is not a protocol. Write TCP, UDP, ICMP, ICMPv6 or a protocol number from 0 to 255.");

    public static string ProtocolName(byte p) => Protocols.FirstOrDefault(kv => kv.Value == p).Key ?? p.ToString(CultureInfo.InvariantCulture);

    public bool MatchesAnything => Protocol == 0 && Local.Count == 0 && Remote.Count == 0 && LocalPort.IsAny && RemotePort.IsAny;

    /// <summary>The kernel matchers for rule id in direction dir; throws ArgumentException if no address pair shares a family.</summary>
    public List<WfTupleRule> ToKernel(uint id, uint dir)
    {
        var locals = Local.Count > 0 ? Local.Select(p => (Prefix?)p).ToList() : new List<Prefix?> { null };
        var remotes = Remote.Count > 0 ? Remote.Select(p => (Prefix?)p).ToList() : new List<Prefix?> { null };
        var list = new List<WfTupleRule>();
        foreach (Prefix? l in locals)
            foreach (Prefix? r in remotes)
            {
                if (l is { } a && r is { } b && a.IsV4 != b.IsV4) continue;
                var t = new WfTupleRule
                {
                    Rule = id, Dir = dir, Proto = Protocol,
                    Family = (byte)((l ?? r) is { } f ? (f.IsV4 ? 2 : 10) : 0),
                    LocalPortLo = LocalPort.Low, LocalPortHi = LocalPort.High,
                    RemotePortLo = RemotePort.Low, RemotePortHi = RemotePort.High,
                };
                if (l is { } lp) { t.LocalPrefix = (byte)lp.Length; t.SetAddress(false, lp.Address.GetAddressBytes()); }
                if (r is { } rp) { t.RemotePrefix = (byte)rp.Length; t.SetAddress(true, rp.Address.GetAddressBytes()); }
                list.Add(t);
            }
        if (list.Count == 0)
            throw new ArgumentException("The local and remote addresses are of different families (IPv4 and IPv6): no connection can have both. Give addresses of one family on both sides.");
        return list;
    }

    private static Prefix Read(WfTupleRule t, bool remote) =>
        new(new IPAddress(t.GetAddress(remote, t.Family == 2 ? 4 : 16)), remote ? t.RemotePrefix : t.LocalPrefix);

    /// <summary>The match that kernel matchers of one rule say (the inverse of ToKernel).</summary>
    public static TupleMatch FromKernel(IReadOnlyList<WfTupleRule> rules)
    {
        WfTupleRule f = rules[0];
        var local = new List<Prefix>();
        var remote = new List<Prefix>();
        foreach (WfTupleRule t in rules)
        {
            if (t.LocalPrefix > 0) local.Add(Read(t, remote: false));
            if (t.RemotePrefix > 0) remote.Add(Read(t, remote: true));
        }
        return new TupleMatch(f.Proto, local.Distinct().ToList(), remote.Distinct().ToList(),
            new PortRange(f.LocalPortLo, f.LocalPortHi), new PortRange(f.RemotePortLo, f.RemotePortHi));
    }

    /// <summary>In words, e.g. "TCP remote 10.9.0.0/16 port 53"; the same match always gives the same text.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Protocol != 0) parts.Add(ProtocolName(Protocol));
        if (Local.Count > 0 || !LocalPort.IsAny) parts.Add("local " + Side(Local, LocalPort));
        if (Remote.Count > 0 || !RemotePort.IsAny) parts.Add("remote " + Side(Remote, RemotePort));
        return string.Join(' ', parts);
    }

    private static string Side(IReadOnlyList<Prefix> p, PortRange port) =>
        string.Join(' ', new[] { string.Join(',', p.Select(x => x.ToString()).OrderBy(x => x, StringComparer.Ordinal)), port.IsAny ? "" : "port " + port }.Where(x => x.Length > 0));
}
