using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Wirefisher.Native.Interop;

namespace Wirefisher.Engine;

/// <summary>
/// The processes running now, with what a rule can match them by, as /proc
/// shows it: used to find the network namespaces and connections of the
/// processes a rule applies to (the kernel matches sockets by itself).
/// </summary>
public sealed class ProcessScan
{
    public sealed record Entry(int Pid, string Comm, uint Uid, (ulong Dev, ulong Ino)? Exe, string Cgroup);

    public IReadOnlyList<Entry> Processes { get; }

    private ProcessScan(List<Entry> list) => Processes = list;

    public static ProcessScan Now()
    {
        var list = new List<Entry>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string comm = File.ReadAllText($"{dir}/comm").TrimEnd('\n');
                string? uidLine = File.ReadLines($"{dir}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                uint uid = uint.Parse(uidLine!.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                string cg = File.ReadLines($"{dir}/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..] ?? "";
                list.Add(new Entry(pid, comm, uid, Libc.FileId($"{dir}/exe"), cg));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or NullReferenceException or IndexOutOfRangeException)
            {
                // it exited while we looked
            }
        }
        return new ProcessScan(list);
    }

    /// <summary>The processes a rule target applies to (none for interface and tuple rules).</summary>
    public IEnumerable<Entry> Matching(RuleTarget t) => Processes.Where(t.Matches);
}
