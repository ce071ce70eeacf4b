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
        fixed (uint* i = RulesIn, o = RulesOut)
        {
            uint* r = egress ? o : i;
            int n = 0;
            for (int k = 0; k < AbiConst.MatchMax; k++)
                if (r[k] != 0) n++;
            if (n == 0) return System.Array.Empty<uint>(); // most sockets: no allocation
            var ids = new uint[n];
            for (int k = 0, j = 0; k < AbiConst.MatchMax; k++)
                if (r[k] != 0) ids[j++] = r[k];
            return ids;
        }
    }

    public string GetComm() { fixed (byte* p = Comm) return AbiConst.ReadString(p, AbiConst.CommLen); }
}
