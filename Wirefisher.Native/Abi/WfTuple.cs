using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_tuple (bpf/wirefisher.h): a TCP connection seen from one end.</summary>
[CField("wf_tuple"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfTuple
{
    [CField("family")] public uint Family;
    [CField("lport")] public ushort LPort;
    [CField("rport")] public ushort RPort;
    [CField("laddr")] public fixed uint LAddr[4];
    [CField("raddr")] public fixed uint RAddr[4];

    public System.Net.IPAddress Local() { fixed (uint* a = LAddr) return ToAddress(a); }
    public System.Net.IPAddress Remote() { fixed (uint* a = RAddr) return ToAddress(a); }

    private System.Net.IPAddress ToAddress(uint* a) =>
        Family == 2 ? new System.Net.IPAddress(a[0]) : new System.Net.IPAddress(new System.ReadOnlySpan<byte>(a, 16));
}
