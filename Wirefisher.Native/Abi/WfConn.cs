using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_conn (bpf/wirefisher.h): one socket as the connection iterator reports it.</summary>
[CField("wf_conn"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfConn
{
    [CField("tuple")] public WfTuple Tuple;
    [CField("tgid")] public uint Tgid;
    [CField("protocol")] public uint Protocol;
    [CField("comm")] public fixed byte Comm[AbiConst.CommLen];
    [CField("in")] public WfRate In;
    [CField("out")] public WfRate Out;

    public string GetComm() { fixed (byte* p = Comm) return AbiConst.ReadString(p, AbiConst.CommLen); }
}
