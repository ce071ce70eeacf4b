using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_index_val (bpf/wirefisher.h): the rule ids behind one index key.</summary>
[CField("wf_index_val"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfIndexVal
{
    [CField("ids")] public fixed uint Ids[AbiConst.IndexIds];

    public List<uint> ToList()
    {
        var l = new List<uint>();
        for (int i = 0; i < AbiConst.IndexIds; i++) if (Ids[i] != 0) l.Add(Ids[i]);
        return l;
    }

    public static WfIndexVal From(IReadOnlyList<uint> ids)
    {
        var v = new WfIndexVal();
        for (int i = 0; i < ids.Count && i < AbiConst.IndexIds; i++) v.Ids[i] = ids[i];
        return v;
    }
}
