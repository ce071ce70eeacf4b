using System.Runtime.InteropServices;
using System.Text;

namespace Wirefisher.Native.Abi;

/// <summary>Mirror of struct wf_rule (bpf/wirefisher.h): a rule as user space writes it.</summary>
[CField("wf_rule"), StructLayout(LayoutKind.Sequential)]
public unsafe struct WfRule
{
    [CField("kind")] public uint Kind;
    [CField("dir")] public uint Dir;
    [CField("target")] public ulong Target;
    [CField("target_dev")] public ulong TargetDev;
    [CField("rate")] public ulong Rate;
    [CField("burst_ns")] public ulong BurstNs;
    [CField("ns_per_byte")] public ulong NsPerByte;
    [CField("start_min_ns")] public ulong StartMinNs;
    [CField("start_max_ns")] public ulong StartMaxNs;
    [CField("time_scale_ns")] public ulong TimeScaleNs;
    [CField("created_ns")] public ulong CreatedNs;
    [CField("flags")] public uint Flags;
    [CField("pace_rate")] public uint PaceRate;
    [CField("comm")] public fixed byte Comm[AbiConst.CommLen];
    [CField("name")] public fixed byte Name[AbiConst.NameLen];
    [CField("text")] public fixed byte Text[AbiConst.TextLen];
    [CField("cc")] public fixed byte Cc[AbiConst.CcLen];
    [CField("shape_class")] public uint ShapeClass;
    [CField("pad")] public uint Pad;

    public string GetName() { fixed (byte* p = Name) return AbiConst.ReadString(p, AbiConst.NameLen); }
    public void SetName(string s) { fixed (byte* p = Name) AbiConst.WriteString(p, AbiConst.NameLen, s); }
    public string GetText() { fixed (byte* p = Text) return AbiConst.ReadString(p, AbiConst.TextLen); }
    public void SetText(string s) { fixed (byte* p = Text) AbiConst.WriteString(p, AbiConst.TextLen, s); }
    public string GetCc() { fixed (byte* p = Cc) return AbiConst.ReadString(p, AbiConst.CcLen); }
    public void SetCc(string s) { fixed (byte* p = Cc) AbiConst.WriteString(p, AbiConst.CcLen, s); }
    public string GetComm() { fixed (byte* p = Comm) return AbiConst.ReadString(p, AbiConst.CommLen); }
    public void SetComm(string s) { fixed (byte* p = Comm) AbiConst.WriteString(p, AbiConst.CommLen, s); }
}
