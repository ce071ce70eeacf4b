using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_tuple_rule (bpf/wirefisher.h): one address/protocol/port matcher of a Tuple rule.</summary>
[CField("wf_tuple_rule"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfTupleRule
{
    [CField("rule")] public uint Rule;
    [CField("dir")] public uint Dir;
    [CField("proto")] public byte Proto;
    [CField("family")] public byte Family;
    [CField("lplen")] public byte LocalPrefix;
    [CField("rplen")] public byte RemotePrefix;
    [CField("lport_lo")] public ushort LocalPortLo;
    [CField("lport_hi")] public ushort LocalPortHi;
    [CField("rport_lo")] public ushort RemotePortLo;
    [CField("rport_hi")] public ushort RemotePortHi;
    [CField("laddr")] public fixed uint LocalAddr[4];
    [CField("raddr")] public fixed uint RemoteAddr[4];

    /// <summary>Writes an address (4 or 16 bytes, network order) into laddr or raddr.</summary>
    public void SetAddress(bool remote, byte[] address)
    {
        fixed (uint* l = LocalAddr, r = RemoteAddr)
        {
            var span = new System.Span<byte>(remote ? r : l, 16);
            span.Clear();
            new System.ReadOnlySpan<byte>(address).CopyTo(span);
        }
    }

    /// <summary>The first n bytes (4 or 16) of laddr or raddr.</summary>
    public byte[] GetAddress(bool remote, int n)
    {
        fixed (uint* l = LocalAddr, r = RemoteAddr)
            return new System.ReadOnlySpan<byte>(remote ? r : l, n).ToArray();
    }
}
