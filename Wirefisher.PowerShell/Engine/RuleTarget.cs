using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Enumeration;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Engine;

/// <summary>
/// What a rule applies to, resolved from what the user gave (a PID, a name
/// pattern, a path, a user, a cgroup, a device or an address/port match).
/// Id is the kernel's wf_index id for the kind (see WF_KIND_* in bpf/wirefisher.h);
/// Text says it in words and is kept in the kernel rule.
/// </summary>
public sealed record RuleTarget(RuleKind Kind, ulong Id, string Text)
{
    /// <summary>Path: the executable's device. Process: its start window. Name: the kernel name or pattern.</summary>
    public ulong Dev { get; init; }
    public ProcessInfo? Process { get; init; }
    /// <summary>Process: the lower end of its start window (tells a reused PID apart).</summary>
    public ulong Start { get; init; }
    public string Comm { get; init; } = "";
    public TupleMatch? Tuple { get; init; }
    /// <summary>Cgroup: its path below the v2 mount, "/" first.</summary>
    public string CgroupPath { get; init; } = "";

    /// <summary>Two targets with the same identity are the same rule (per direction): setting it again changes it in place.</summary>
    public string Identity => Kind switch
    {
        RuleKind.Process => $"process:{Id}:{Start}",
        RuleKind.ProcessName => $"name:{Comm.ToLowerInvariant()}",
        RuleKind.Path => $"path:{Dev}:{Id}",
        RuleKind.Tuple => $"tuple:{Tuple}",
        _ => $"{Kind}:{Id}",
    };

    /// <summary>
    /// A name pattern: it has * or ?, the only wildcards ForProcessName lets in (and the kernel's
    /// glob knows). Without System.Management.Automation, as Matches: the shaper watcher runs both
    /// outside PowerShell (ShaperWatch).
    /// </summary>
    public bool IsPattern => Kind == RuleKind.ProcessName && Comm.AsSpan().IndexOfAny('*', '?') >= 0;

    public static RuleTarget ForProcess(ProcessInfo p) =>
        new(RuleKind.Process, (ulong)p.Pid, $"PID {p.Pid} ({p.Name})") { Process = p, Comm = p.Name, Start = p.StartWindowNs.Min };

    /// <summary>A process name or wildcard pattern, as the kernel knows names (at most 15 bytes).</summary>
    public static RuleTarget ForProcessName(string name)
    {
        string n = name.Trim();
        if (n.Length == 0)
            throw new ArgumentException("The process name is empty. Give a name as Get-Process shows it (firefox) or a pattern (fire*).");
        bool pattern = WildcardPattern.ContainsWildcardCharacters(n);
        if (pattern && n.IndexOfAny(new[] { '[', ']', '`' }) >= 0)
            throw new ArgumentException($"The pattern '{n}' uses [ ] or `; the kernel matches only * and ?. Write the pattern with * and ? alone.");
        byte[] b = System.Text.Encoding.UTF8.GetBytes(n);
        if (pattern && b.Length > AbiConst.CommLen - 1)
            throw new ArgumentException($"The pattern '{n}' is longer than the {AbiConst.CommLen - 1} bytes the kernel keeps of a process name. Shorten it (end it with *).");
        string comm = n;
        if (!pattern && b.Length > AbiConst.CommLen - 1)
        {
            int len = AbiConst.CommLen - 1; // Linux keeps the first 15 bytes of a name: match those
            while (len > 0 && (b[len] & 0xC0) == 0x80) len--;
            comm = System.Text.Encoding.UTF8.GetString(b, 0, len);
        }
        return new RuleTarget(RuleKind.ProcessName, pattern ? 0 : AbiConst.NameHash(comm), n) { Comm = comm };
    }

    public static RuleTarget ForPath(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full) || Libc.FileId(full) is not { } id)
            throw new ItemNotFoundException($"No executable file '{full}' exists. Give the path of the program's file (/usr/bin/rsync).");
        return new RuleTarget(RuleKind.Path, id.Ino, full) { Dev = id.Dev };
    }

    /// <summary>A user by name or numeric UID.</summary>
    public static RuleTarget ForUser(string user)
    {
        string u = user.Trim();
        uint uid;
        if (uint.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out uint n)) uid = n;
        else uid = Libc.UserId(u) ?? throw new ItemNotFoundException($"No user '{u}' exists. Give a user name (getent passwd lists them) or a numeric UID.");
        string name = Libc.UserName(uid) ?? uid.ToString(CultureInfo.InvariantCulture);
        return new RuleTarget(RuleKind.User, uid, name);
    }

    /// <summary>A cgroup v2 directory: a path below the v2 mount (/system.slice/x.service) or the directory itself.</summary>
    public static RuleTarget ForCgroup(string path)
    {
        string mount = WfPaths.Cgroup2Mount() ?? throw new WfUnsupportedException("cgroup2", "No cgroup v2 hierarchy is mounted.");
        string p = path.Trim();
        string dir = p.StartsWith(mount + "/", StringComparison.Ordinal) || p == mount ? p : System.IO.Path.Join(mount, p.TrimStart('/'));
        dir = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(dir));
        if (!Directory.Exists(dir) || !File.Exists(System.IO.Path.Join(dir, "cgroup.procs")))
            throw new ItemNotFoundException($"No cgroup '{p}' exists below {mount}. Give a path as /proc/PID/cgroup shows it (/system.slice/nginx.service).");
        string below = System.IO.Path.GetRelativePath(mount, dir);
        if (below.StartsWith("..", StringComparison.Ordinal))
            throw new ItemNotFoundException($"'{p}' is not below the cgroup v2 mount {mount}. Give a path as /proc/PID/cgroup shows it (/system.slice/nginx.service).");
        string rel = below == "." ? "/" : "/" + below;
        return new RuleTarget(RuleKind.Cgroup, Libc.Inode(dir), rel) { CgroupPath = rel };
    }

    /// <summary>A network device of this network namespace, by name.</summary>
    public static RuleTarget ForInterface(string name)
    {
        string n = name.Trim();
        string file = $"/sys/class/net/{n}/ifindex";
        if (n.Length == 0 || n.Contains('/') || !File.Exists(file))
            throw new ItemNotFoundException($"No network device '{n}' exists here. List the devices with 'ip link'.");
        ulong ifindex = ulong.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
        ulong ns = Netns.Inode("/proc/self/ns/net");
        return new RuleTarget(RuleKind.Interface, ns << 32 | ifindex, n);
    }

    public static RuleTarget ForTuple(TupleMatch m)
    {
        if (m.MatchesAnything)
            throw new ArgumentException("The rule matches nothing in particular. Give at least one of -Protocol, -LocalAddress, -RemoteAddress, -LocalPort, -RemotePort (or -Pid, -ProcessName, -Path, -User, -Cgroup, -Interface).");
        return new RuleTarget(RuleKind.Tuple, 0, m.ToString()) { Tuple = m };
    }

    /// <summary>The target a kernel rule says (tuples: its matchers in wf_tuples).</summary>
    public static RuleTarget FromKernel(in WfRule r, IReadOnlyList<WfTupleRule>? tuples)
    {
        var kind = (RuleKind)r.Kind;
        string text = r.GetText();
        return kind switch
        {
            RuleKind.Process => new RuleTarget(kind, r.Target, text) { Comm = r.GetComm(), Start = r.StartMinNs },
            RuleKind.ProcessName => new RuleTarget(kind, r.Target, text) { Comm = r.GetComm() },
            RuleKind.Path => new RuleTarget(kind, r.Target, text) { Dev = r.TargetDev },
            RuleKind.Cgroup => new RuleTarget(kind, r.Target, text) { CgroupPath = text },
            RuleKind.Tuple when tuples is { Count: > 0 } => new RuleTarget(kind, 0, text) { Tuple = TupleMatch.FromKernel(tuples) },
            _ => new RuleTarget(kind, r.Target, text),
        };
    }

    /// <summary>Does this running process fall under the target?</summary>
    public bool Matches(ProcessScan.Entry e) => Kind switch
    {
        RuleKind.Process => (ulong)e.Pid == Id,
        // * and ? as the kernel's glob has them ('\' is MatchesSimpleExpression's escape: a name's own backslash is literal)
        RuleKind.ProcessName => IsPattern
            ? FileSystemName.MatchesSimpleExpression(Comm.Replace("\\", "\\\\"), e.Comm, ignoreCase: true)
            : string.Equals(e.Comm, Comm, StringComparison.OrdinalIgnoreCase),
        RuleKind.Path => e.Exe is { } x && x.Dev == Dev && x.Ino == Id,
        RuleKind.User => e.Uid == Id,
        RuleKind.Cgroup => e.Cgroup == CgroupPath || e.Cgroup.StartsWith(CgroupPath.TrimEnd('/') + "/", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The name a rule gets when none is given: stable for the same target.</summary>
    public string DefaultName()
    {
        string n = Kind switch
        {
            RuleKind.Process => $"{Comm}-{Id}",
            RuleKind.ProcessName => $"name-{Comm}",
            RuleKind.Path => $"path-{System.IO.Path.GetFileName(Text)}",
            RuleKind.User => $"user-{Text}",
            RuleKind.Cgroup => $"cgroup-{(CgroupPath == "/" ? "root" : System.IO.Path.GetFileName(CgroupPath))}",
            RuleKind.Interface => $"if-{Text}",
            _ => "tuple-" + Text.Replace(' ', '-'),
        };
        n = new string(n.Select(c => "*?[]`".Contains(c) ? '_' : char.IsControl(c) ? '_' : c).ToArray());
        return RuleNames.Cut(n);
    }
}
