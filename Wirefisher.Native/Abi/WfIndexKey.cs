using System.Runtime.InteropServices;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_index_key (bpf/wirefisher.h): one exact thing a socket or packet has.</summary>
[CField("wf_index_key"), StructLayout(LayoutKind.Sequential)]
public record struct WfIndexKey
{
    [CField("kind")] public uint Kind;
    [CField("dir")] public uint Dir;
    [CField("id")] public ulong Id;

    public WfIndexKey(uint kind, uint dir, ulong id) { Kind = kind; Dir = dir; Id = id; }
}
