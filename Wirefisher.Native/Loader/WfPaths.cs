using System;
using System.IO;

namespace Wirefisher.Native.Loader;

/// <summary>Where Wirefisher's state and the kernel's interfaces live.</summary>
public static class WfPaths
{
    public const string BpfFs = "/sys/fs/bpf";

    /// <summary>The one directory (mode 0700) holding every pin: maps, links, programs.</summary>
    public static string PinDir =>
        Environment.GetEnvironmentVariable("WIREFISHER_PIN_DIR") is { Length: > 0 } d ? d : Path.Combine(BpfFs, "wirefisher");

    public const string KernelBtf = "/sys/kernel/btf/vmlinux";

    public static string Pin(string name) => Path.Combine(PinDir, name);

    /// <summary>
    /// The cgroup v2 mount point: the mount whose filesystem type is cgroup2 in
    /// /proc/self/mountinfo (not always /sys/fs/cgroup: hybrid systems mount it
    /// at /sys/fs/cgroup/unified). Null when there is none.
    /// </summary>
    public static string? Cgroup2Mount()
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            int sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0) continue;
            string[] after = line[(sep + 3)..].Split(' ');
            if (after.Length > 0 && after[0] == "cgroup2")
                return line.Split(' ')[4].Replace("\\040", " ");
        }
        return null;
    }

    /// <summary>The object file, shipped next to this assembly.</summary>
    public static string ObjectPath =>
        Path.Combine(Path.GetDirectoryName(typeof(WfPaths).Assembly.Location) ?? ".", BpfNames.ObjectFile);
}
