using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Maps;

namespace Wirefisher.Engine;

/// <summary>
/// What a RuleService.Set under way will undo if it fails: the rules it adds
/// and the old values of those it changes, in a file of its own under
/// /run/wirefisher (bpffs holds no files; /run goes at reboot with the pins).
/// A Set that is killed leaves its file behind; the next Set, Remove or
/// Get-WfLimit of any process finds it, sees its writer is gone, and rolls
/// the rules back, so a killed command is all or nothing as the next one sees
/// it. Get-WfStatus lists such files among the leftovers.
/// </summary>
public sealed class SetIntent : IDisposable
{
    public static string Dir => Environment.GetEnvironmentVariable("WIREFISHER_RUN_DIR") is { Length: > 0 } d ? d : "/run/wirefisher";

    private readonly string _file;

    private SetIntent(string file) => _file = file;

    /// <summary>Records the intent before the first rule is written.</summary>
    public static SetIntent Begin(IEnumerable<uint> adds, IEnumerable<(uint Id, WfRule Rule)> befores)
    {
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var me = ProcessInfo.TryGet(Environment.ProcessId)!;
        string file = Path.Combine(Dir, $"set.{me.Pid}.{me.StartTicks}");
        var lines = adds.Select(id => $"add {id}")
            .Concat(befores.Select(b => $"restore {b.Id} {Convert.ToBase64String(Bytes(b.Rule))}"));
        string tmp = file + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, file, overwrite: true);
        return new SetIntent(file);
    }

    /// <summary>The Set finished (or rolled itself back): nothing to undo.</summary>
    public void Dispose() => File.Delete(_file);

    /// <summary>Intents whose writer is no longer running.</summary>
    public static List<string> Abandoned()
    {
        if (!Directory.Exists(Dir)) return new List<string>();
        return Directory.EnumerateFiles(Dir, "set.*").Where(f => !WriterAlive(f)).Order().ToList();
    }

    /// <summary>
    /// Undoes every abandoned intent: removes the rules it added, puts back
    /// the ones it changed. Returns how many intents it undid; the caller
    /// rebuilds the match index and reconciles when it is more than 0.
    /// </summary>
    public static int RollBack(RuleStore store)
    {
        var files = Abandoned();
        foreach (string f in files)
        {
            // a .tmp was never renamed into place: its Set had written no rule yet
            if (!f.EndsWith(".tmp", StringComparison.Ordinal))
                foreach (string line in File.ReadAllLines(f))
                {
                    string[] w = line.Split(' ');
                    uint id = uint.Parse(w[1], CultureInfo.InvariantCulture);
                    if (w[0] == "add") store.Remove(id);
                    else if (w[0] == "restore") store.Put(id, FromBytes(Convert.FromBase64String(w[2])));
                }
            File.Delete(f);
        }
        return files.Count(f => !f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    /// <summary>Forgets every intent (Disable-Wirefisher removes the rules anyway).</summary>
    public static void Clear()
    {
        if (Directory.Exists(Dir))
            foreach (string f in Directory.EnumerateFiles(Dir, "set.*")) File.Delete(f);
    }

    private static bool WriterAlive(string file)
    {
        string[] parts = Path.GetFileName(file).Split('.');
        return parts.Length >= 3 && int.TryParse(parts[1], out int pid) &&
               ProcessInfo.TryGet(pid) is { } p && p.StartTicks.ToString(CultureInfo.InvariantCulture) == parts[2];
    }

    private static byte[] Bytes(WfRule r) => MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref r, 1)).ToArray();

    private static WfRule FromBytes(byte[] b) => MemoryMarshal.Read<WfRule>(b);
}
