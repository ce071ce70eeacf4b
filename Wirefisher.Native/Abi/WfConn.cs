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
    [CField("rules_in")] public fixed uint RulesIn[AbiConst.MatchMax];
    [CField("rules_out")] public fixed uint RulesOut[AbiConst.MatchMax];
    [CField("dev")] public ulong Dev;

    /// <summary>The ids of the rules this socket's traffic of one direction matched.</summary>
    public uint[] Rules(bool egress)
    {
        var ids = new System.Collections.Generic.List<uint>();
        fixed (uint* i = RulesIn, o = RulesOut)
            for (int k = 0; k < AbiConst.MatchMax; k++)
                if ((egress ? o : i)[k] != 0) ids.Add((egress ? o : i)[k]);
        return ids.ToArray();
    }

    public string GetComm() { fixed (byte* p = Comm) return AbiConst.ReadString(p, AbiConst.CommLen); }
}
