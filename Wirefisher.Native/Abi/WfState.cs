using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_state (bpf/wirefisher.h): bucket and rates of a rule, written by the kernel.</summary>
[CField("wf_state"), StructLayout(LayoutKind.Sequential)]
public struct WfState
{
    [CField("lock")] public uint Lock;
    [CField("tat_frac")] public uint TatFrac;
    [CField("tat_ns")] public ulong TatNs;
    [CField("rate")] public WfRate Rate;
    [CField("paced_bytes")] public ulong PacedBytes;
    [CField("shaped_bytes")] public ulong ShapedBytes;
    [CField("tcp_conns")] public long TcpConns;
}
