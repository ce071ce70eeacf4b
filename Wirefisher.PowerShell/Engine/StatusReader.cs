using System.IO;
using System.Linq;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>Builds a <see cref="WfStatus"/> from the system and the pins.</summary>
public static class StatusReader
{
    public static WfStatus Read()
    {
        bool root = Libc.Geteuid() == 0;
        string? cg = WfPaths.Cgroup2Mount();
        bool enabled = root && WfKernel.IsEnabled;
        int rules = 0, congestion = 0;
        string[] shapers = System.Array.Empty<string>();
        if (enabled)
        {
            using var store = new RuleStore();
            var all = store.All(withState: false);
            congestion = all.Count(e => (e.Rule.Flags & Native.Abi.AbiConst.RuleCc) != 0);
            rules = all.Count - congestion;
            shapers = Shaper.Describe().Select(s =>
                $"net:[{s.Netns}] {Shaper.IfbName}, {s.Classes} rule classes, shaping {string.Join(", ", s.Devices)}").ToArray();
        }
        return new WfStatus
        {
            Enabled = enabled,
            IsRoot = root,
            KernelRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            LibbpfVersion = $"{Libbpf.LibbpfMajorVersion()}.{Libbpf.LibbpfMinorVersion()}",
            BpfFsPath = WfPaths.BpfFs,
            BpfFsMounted = Libc.FsType(WfPaths.BpfFs) == Libc.BPF_FS_MAGIC,
            PinDirectory = WfPaths.PinDir,
            Cgroup2Path = cg,
            AttachedHooks = root
                ? BpfNames.CgroupPrograms.Where(n => File.Exists(WfPaths.Pin(n)))
                    .Select(n => $"{n}@{cg}").ToArray()
                : System.Array.Empty<string>(),
            RuleCount = rules,
            CongestionRuleCount = congestion,
            BootUnit = File.Exists(BootUnit.UnitPath) ? BootUnit.UnitPath : null,
            IngressShapers = shapers,
            ShaperWatcherPid = root ? FileLock.Holder(FileLock.Watcher) : null,
            Leftovers = root ? WfKernel.Leftovers()
                .Concat(SetIntent.Abandoned().Select(f => $"{f} (a Set-WfLimit that was killed: the next Set-, Get- or Remove-WfLimit rolls it back)"))
                .ToArray() : System.Array.Empty<string>(),
        };
    }
}
