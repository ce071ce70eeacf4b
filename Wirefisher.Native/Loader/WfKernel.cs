using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Wirefisher.Native.Interop;

namespace Wirefisher.Native.Loader;

/// <summary>
/// Loads, attaches and pins Wirefisher's kernel side, and takes it away again.
/// Nothing is kept in this process: everything lives under <see cref="WfPaths.PinDir"/>,
/// so limits outlive the pwsh that set them and any other pwsh sees them.
/// </summary>
public static unsafe class WfKernel
{
    /// <summary>True when every pinned link and map is in place.</summary>
    public static bool IsEnabled =>
        BpfNames.CgroupPrograms.Concat(BpfNames.TracePrograms).Concat(BpfNames.Maps).Concat(BpfNames.PinnedPrograms)
            .All(n => File.Exists(WfPaths.Pin(n)));

    /// <summary>
    /// Pins left by an Enable-Wirefisher that was killed half way (some pinned, not all):
    /// the next Enable-Wirefisher clears and completes them, Disable-Wirefisher removes them.
    /// </summary>
    public static List<string> Leftovers() =>
        IsEnabled || !Directory.Exists(WfPaths.PinDir) ? new List<string>()
            : Directory.EnumerateFileSystemEntries(WfPaths.PinDir).Select(Path.GetFileName).OfType<string>().Order().ToList();

    public static void RequireRoot(string action)
    {
        if (Libc.Geteuid() != 0)
            throw new WfNotRootException(action);
    }

    /// <summary>Throws <see cref="WfUnsupportedException"/> naming the first missing kernel feature.</summary>
    public static void RequireKernel()
    {
        if (!File.Exists(WfPaths.KernelBtf))
            throw new WfUnsupportedException("BTF", $"The kernel has no BTF ({WfPaths.KernelBtf} is missing): Wirefisher needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.");
        if (!File.Exists("/proc/sys/kernel/unprivileged_bpf_disabled"))
            throw new WfUnsupportedException("bpf", "The kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off).");
        if (WfPaths.Cgroup2Mount() is null)
            throw new WfUnsupportedException("cgroup2", "No cgroup v2 hierarchy is mounted: mount one (mount -t cgroup2 none /sys/fs/cgroup/unified) so Wirefisher can attach to it.");
        if (!File.Exists(WfPaths.ObjectPath))
            throw new WfUnsupportedException("object", $"The eBPF object {WfPaths.ObjectPath} is missing: rebuild the module with ./build.ps1.");
    }

    /// <summary>
    /// Throws <see cref="WfStaleStateException"/> if the pinned maps the cmdlets read were made by
    /// another version of the module (each <see cref="Maps.BpfMap{TKey,TValue}"/> checks its entries' sizes when it opens).
    /// </summary>
    private static void RequireCurrentState()
    {
        using var rules = new Maps.RuleStore();
        using var index = new Maps.MatchIndex();
        using var procs = new Maps.BpfMap<uint, Abi.WfProc>(BpfNames.MapProcs);
        using var slots = new Maps.BpfMap<Abi.WfProcKey, uint>(BpfNames.MapPslots);
        using var devs = new Maps.BpfMap<Abi.WfDevKey, Abi.WfDev>(BpfNames.MapDevs);
    }

    /// <summary>Loads and attaches everything unless it already is (then: of this version). Returns true if it did the work.</summary>
    public static bool Enable()
    {
        RequireRoot("Enabling Wirefisher");
        RequireKernel();
        using var guard = Lock();
        if (IsEnabled)
        {
            RequireCurrentState();
            return false;
        }
        LibbpfLog.Install();
        EnsureBpffs();
        using (FileLock.Wait(FileLock.Shaper))
        using (Maps.AbiStamp.Unchecked()) // a half-done attempt's maps may have no stamp yet
            Shaper.RemoveAll(); // leftovers of a half-done attempt
        RemovePins();
        Directory.CreateDirectory(WfPaths.PinDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(WfPaths.PinDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        nint obj = 0;
        try
        {
            obj = Open();
            LibbpfCheck.Int(Libbpf.BpfObjectLoad(obj), $"Loading {BpfNames.ObjectFile} into the kernel");
            Maps.AbiStamp.Write(); // the maps are pinned now: what their structs mean
            AttachToCgroupRoot(obj);
            foreach (string name in BpfNames.TracePrograms)
                PinLink(LibbpfCheck.Ptr(Libbpf.BpfProgramAttach(Program(obj, name)), $"Attaching {name}"), name);
            foreach (string name in BpfNames.PinnedPrograms)
                LibbpfCheck.Int(Libbpf.BpfProgramPin(Program(obj, name), WfPaths.Pin(name)), $"Pinning program {name}");
            RunIterator(obj, BpfNames.ProgIterSeed); // own the sockets that existed before
            GiveSeededOwners(Netns.All().ToList());
            return true;
        }
        catch
        {
            RemovePins(); // nothing half-applied (no shaper exists before the first rule)
            throw;
        }
        finally
        {
            if (obj != 0) Libbpf.BpfObjectClose(obj);
        }
    }

    /// <summary>Removes every rule, link, program and map Wirefisher pinned. Returns false if nothing was there.</summary>
    public static bool Disable(Action<string, int>? progress = null)
    {
        RequireRoot("Disabling Wirefisher");
        using var guard = Lock();
        using var anyAbi = Maps.AbiStamp.Unchecked(); // takes away state of any WF_ABI: rules and devices kept their meaning
        if (IsEnabled)
        {
            // take the rules away first, so the pace iterator gives paced sockets their speed back
            using (var store = new Maps.RuleStore())
            {
                var rules = store.All(withState: false).ToList();
                for (int i = 0; i < rules.Count; i++)
                {
                    if (i % 500 == 0) progress?.Invoke($"Removing rule {i + 1} of {rules.Count}", 60 * i / rules.Count);
                    store.Remove(rules[i].Id);
                }
            }
            // nothing left to match, and the generation moves on: every flow looks again, and so
            // does the shaper watcher, which reads the rules again only when it moved
            using (var index = new Maps.MatchIndex())
                index.Write(new Maps.MatchSet(new Dictionary<Abi.WfIndexKey, List<uint>>(), [], [], 0, []));
            progress?.Invoke("Giving paced connections their speed back", 60);
            Repace();
        }
        progress?.Invoke("Removing the ingress shapers", 80);
        using (FileLock.Wait(FileLock.Shaper))
            Shaper.RemoveAll(); // ifb devices, their classes and the tcx links
        progress?.Invoke("Detaching the programs and removing the pins", 90);
        bool removed = RemovePins();
        // the shaper watcher sees that and ends within a second: Disable leaves no process behind
        FileLock.WaitForHolder(FileLock.Watcher, TimeSpan.FromSeconds(10));
        return removed;
    }

    /// <summary>
    /// Applies the rules' TCP pacing to every existing TCP socket, and lifts it
    /// where no rule asks for it any more: first the connections of processes
    /// with an ingress limit are listed (wf_peers), then every socket is paced
    /// for its own egress limit or for the ingress limit of the local process
    /// it sends to. iter/tcp walks the sockets of the network namespace it is
    /// created in, so both run once in each namespace that has a process.
    /// </summary>
    public static void Repace()
    {
        using (var peers = new Maps.BpfMap<Abi.WfTuple, uint>(BpfNames.MapPeers))
            foreach (var k in peers.Keys()) peers.Delete(k);
        var namespaces = Netns.All().ToList();
        RunInEach(BpfNames.ProgIterIndex, namespaces, keep: false);
        RunInEach(BpfNames.ProgIterPace, namespaces, keep: false);
    }

    /// <summary>
    /// Every TCP and UDP socket's rates (wf_flow), from the tcp and udp
    /// iterators run in each network namespace.
    /// </summary>
    public static List<Abi.WfConn> ReadConnections()
    {
        var namespaces = Netns.All().ToList();
        var conns = new List<Abi.WfConn>();
        foreach (string prog in new[] { BpfNames.ProgConnsTcp, BpfNames.ProgConnsUdp })
            CollectionExtensions.AddRange(conns, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Abi.WfConn>(RunInEach(prog, namespaces, keep: true)));
        return conns;
    }

    /// <summary>
    /// Re-tags every socket of these processes as their own (the task_file
    /// iterator, filtered by PID), then hands the owners over once per network
    /// namespace they are in, not once per process.
    /// </summary>
    public static void ClaimSockets(IReadOnlyCollection<int> pids)
    {
        if (pids.Count == 0) return;
        using var prog = BpfFd.OpenPinned(WfPaths.Pin(BpfNames.ProgIterClaim));
        var namespaces = new Dictionary<ulong, string>();
        foreach (int pid in pids)
        {
            using (var link = Iterators.Link(prog, Iterators.TaskPid, (uint)pid, $"Creating the socket iterator for PID {pid}"))
                Iterators.Read(link.Fd, null);
            string ns = $"/proc/{pid}/ns/net";
            if (Netns.Inode(ns) is ulong ino and > 0) namespaces.TryAdd(ino, ns);
        }
        GiveSeededOwners(namespaces.Values);
    }

    /// <summary>
    /// Hands the owners a task_file iterator noted in wf_seeds to their TCP and
    /// UDP sockets (iter/tcp and iter/udp walk the namespace they are created
    /// in, so they run in each of these), then forgets what is left: sockets
    /// that closed meanwhile, or live in another namespace than their process.
    /// </summary>
    private static void GiveSeededOwners(IReadOnlyCollection<string> namespaces)
    {
        RunInEach(BpfNames.ProgIterOwnTcp, namespaces, keep: false);
        RunInEach(BpfNames.ProgIterOwnUdp, namespaces, keep: false);
        using var seeds = new Maps.BpfMap<ulong, Abi.WfOwner>(BpfNames.MapSeeds);
        foreach (ulong k in seeds.Keys()) seeds.Delete(k);
    }

    /// <summary>
    /// Runs a pinned iterator program once in each of these network namespaces
    /// (iter/tcp and iter/udp walk the namespace they are created in); returns
    /// what it wrote, one namespace after the other, if keep.
    /// </summary>
    private static byte[] RunInEach(string prog, IEnumerable<string> namespaces, bool keep)
    {
        using var fd = BpfFd.OpenPinned(WfPaths.Pin(prog));
        var output = keep ? new MemoryStream() : null;
        foreach (string ns in namespaces)
            Netns.Run(ns, () =>
            {
                using var link = Iterators.Link(fd, null, 0, $"Creating iterator {prog}");
                Iterators.Read(link.Fd, output);
            });
        return output?.ToArray() ?? Array.Empty<byte>();
    }

    private static nint Open()
    {
        byte* opts = stackalloc byte[LibbpfOpts.ObjectOpenOptsSize];
        new Span<byte>(opts, LibbpfOpts.ObjectOpenOptsSize).Clear();
        *(nuint*)opts = LibbpfOpts.ObjectOpenOptsSize;
        byte[] root = System.Text.Encoding.UTF8.GetBytes(WfPaths.PinDir + "\0");
        fixed (byte* r = root)
        {
            // maps declared with LIBBPF_PIN_BY_NAME are pinned under pin_root_path on load
            *(byte**)(opts + LibbpfOpts.ObjectOpenOptsPinRootPath) = r;
            return LibbpfCheck.Ptr(Libbpf.BpfObjectOpenFile(WfPaths.ObjectPath, opts), $"Opening {WfPaths.ObjectPath}");
        }
    }

    private static nint Program(nint obj, string name) =>
        LibbpfCheck.Ptr(Libbpf.BpfObjectFindProgramByName(obj, name), $"Finding program {name}");

    private static void AttachToCgroupRoot(nint obj)
    {
        string cgroup = WfPaths.Cgroup2Mount()!;
        int cgfd = Libc.Open(cgroup, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        using var cg = new BpfFd(LibbpfCheck.Fd(cgfd, $"Opening the cgroup v2 root {cgroup}"));
        foreach (string name in BpfNames.CgroupPrograms)
            PinLink(LibbpfCheck.Ptr(Libbpf.BpfProgramAttachCgroup(Program(obj, name), cg.Fd), $"Attaching {name} to {cgroup}"), name);
    }

    private static void PinLink(nint link, string name)
    {
        try
        {
            LibbpfCheck.Int(Libbpf.BpfLinkPin(link, WfPaths.Pin(name)), $"Pinning the link of {name}");
        }
        finally
        {
            Libbpf.BpfLinkDestroy(link); // closes our fd; the pin keeps the link attached
        }
    }

    private static void RunIterator(nint obj, string name)
    {
        nint link = LibbpfCheck.Ptr(Libbpf.BpfProgramAttachIter(Program(obj, name), null), $"Attaching iterator {name}");
        try
        {
            Iterators.Read(Libbpf.BpfLinkFd(link), null);
        }
        finally
        {
            Libbpf.BpfLinkDestroy(link);
        }
    }

    private static void EnsureBpffs()
    {
        if (Libc.FsType(WfPaths.BpfFs) == Libc.BPF_FS_MAGIC)
            return;
        if (Libc.Mount("bpf", WfPaths.BpfFs, "bpf", 0, 0) != 0)
            throw new WfUnsupportedException("bpffs", $"The BPF filesystem is not mounted at {WfPaths.BpfFs} and mounting it failed ({LibbpfCheck.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}): run 'mount -t bpf bpf {WfPaths.BpfFs}'.");
    }

    /// <summary>Unlinks every pin (links first, which detaches them), then the directory.</summary>
    private static bool RemovePins()
    {
        if (!Directory.Exists(WfPaths.PinDir))
            return false;
        IEnumerable<string> order = BpfNames.CgroupPrograms.Concat(BpfNames.TracePrograms).Select(WfPaths.Pin)
            .Concat(Directory.EnumerateFiles(WfPaths.PinDir).ToList());
        foreach (string f in order)
            if (File.Exists(f)) File.Delete(f);
        Directory.Delete(WfPaths.PinDir, recursive: true);
        return true;
    }

    /// <summary>Serialises Enable and Disable across processes.</summary>
    private static IDisposable Lock() => FileLock.Acquire(FileLock.Kernel, TimeSpan.FromSeconds(10))
        ?? throw new IOException("Another Enable- or Disable-Wirefisher has run for 10 s: wait for it to end, then try again.");
}
