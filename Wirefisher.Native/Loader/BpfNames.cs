namespace Wirefisher.Native.Loader;

/// <summary>
/// Names of the maps and programs in wirefisher.bpf.o (mirrors the #defines of
/// bpf/wirefisher.h and the function names of bpf/wirefisher.bpf.c; a test
/// checks them against the built object), and of the pins Wirefisher makes.
/// </summary>
public static class BpfNames
{
    public const string ObjectFile = "wirefisher.bpf.o";

    public const string MapOwner = "wf_owner";
    public const string MapRules = "wf_rules";
    public const string MapState = "wf_state";
    public const string MapPeers = "wf_peers";
    public const string MapFlow = "wf_flow";
    public const string MapProcs = "wf_procs";
    public const string MapPslots = "wf_pslots";
    public const string MapDevs = "wf_devs";
    public const string MapPstate = "wf_pstate";
    public const string MapIndex = "wf_index";
    public const string MapTuples = "wf_tuples";
    public const string MapNames = "wf_names";
    public const string MapConfig = "wf_config";
    public const string MapSeeds = "wf_seeds";
    public const string MapWake = "wf_wake";
    /// <summary>Not in <see cref="Maps"/>: state pinned before it existed must still count as enabled (and be refused as stale).</summary>
    public const string MapAbi = "wf_abi";
    public static readonly string[] Maps = { MapOwner, MapRules, MapState, MapPeers, MapFlow, MapProcs, MapPslots, MapDevs, MapPstate, MapIndex, MapTuples, MapNames, MapConfig, MapSeeds, MapWake };

    public const string ProgSockCreate = "wf_sock_create";
    public const string ProgIngress = "wf_ingress";
    public const string ProgEgress = "wf_egress";
    public const string ProgIterSeed = "wf_iter_seed";
    public const string ProgIterClaim = "wf_iter_claim";
    public const string ProgIterOwnTcp = "wf_iter_own_tcp";
    public const string ProgIterOwnUdp = "wf_iter_own_udp";
    public const string ProgSockops = "wf_sockops";
    public const string ProgIterPace = "wf_iter_pace";
    public const string ProgIterIndex = "wf_iter_index";
    public const string ProgConnsTcp = "wf_conns_tcp";
    public const string ProgConnsUdp = "wf_conns_udp";
    public const string ProgProcExit = "wf_proc_exit";
    public const string ProgShapeIn = "wf_shape_in";
    public const string ProgShapeOut = "wf_shape_out";
    public const string ProgTcpClose = "wf_tcp_close";
    public const string ProgCgroupMkdir = "wf_cgroup_mkdir";

    /// <summary>Pins of the tcx links of wf_shape_in start with this: shape-NETNS-IFINDEX (wf_shape_out: shape-NETNS-IFINDEX-out).</summary>
    public const string ShapeLinkPrefix = "shape-";

    /// <summary>Tracing programs, each held by a pinned link of the same name.</summary>
    public static readonly string[] TracePrograms = { ProgProcExit, ProgTcpClose, ProgCgroupMkdir };

    /// <summary>Iterator programs pinned so that later cmdlets can run them.</summary>
    public static readonly string[] PinnedPrograms = { ProgIterClaim, ProgIterOwnTcp, ProgIterOwnUdp, ProgIterIndex, ProgIterPace, ProgConnsTcp, ProgConnsUdp, ProgShapeIn, ProgShapeOut };

    /// <summary>Programs attached to the cgroup v2 root, each held by a pinned link of the same name.</summary>
    public static readonly string[] CgroupPrograms = { ProgSockCreate, ProgIngress, ProgEgress, ProgSockops };
}
