using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_config (bpf/wirefisher.h): what there is to match, and its generation.</summary>
[CField("wf_config"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfConfig
{
    [CField("gen")] public uint Gen;
    [CField("kinds")] public uint Kinds;
    [CField("n_tuples")] public uint NTuples;
    [CField("n_names")] public uint NNames;
    [CField("per_process")] public fixed uint PerProcess[AbiConst.PerProcessMax];
}
