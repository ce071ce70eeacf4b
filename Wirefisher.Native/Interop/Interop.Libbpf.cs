using System.Runtime.InteropServices;

namespace Wirefisher.Native.Interop;

/// <summary>
/// The libbpf 1.1 functions Wirefisher calls. Functions returning int give a
/// negative errno; functions returning a pointer give NULL and set errno
/// (hence SetLastError). <see cref="LibbpfCheck"/> turns both into exceptions.
/// </summary>
internal static unsafe partial class Libbpf
{
    public const int BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2, BPF_F_LOCK = 4;
    public const int BPF_TRACE_ITER = 28;

    [LibraryImport(Libraries.Libbpf, EntryPoint = "libbpf_set_print")]
    public static partial nint LibbpfSetPrint(delegate* unmanaged<int, nint, nint, int> fn);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "libbpf_strerror")]
    public static partial int LibbpfStrerror(int err, byte* buf, nuint size);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "libbpf_major_version")]
    public static partial uint LibbpfMajorVersion();

    [LibraryImport(Libraries.Libbpf, EntryPoint = "libbpf_minor_version")]
    public static partial uint LibbpfMinorVersion();

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_object__open_file", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial nint BpfObjectOpenFile(string path, void* opts);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_object__load")]
    public static partial int BpfObjectLoad(nint obj);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_object__close")]
    public static partial void BpfObjectClose(nint obj);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint BpfObjectFindProgramByName(nint obj, string name);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint BpfObjectFindMapByName(nint obj, string name);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_map__set_pin_path", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BpfMapSetPinPath(nint map, string path);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_program__attach_cgroup", SetLastError = true)]
    public static partial nint BpfProgramAttachCgroup(nint prog, int cgroupFd);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_program__attach", SetLastError = true)]
    public static partial nint BpfProgramAttach(nint prog);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_program__attach_iter", SetLastError = true)]
    public static partial nint BpfProgramAttachIter(nint prog, void* opts);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_program__pin", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BpfProgramPin(nint prog, string path);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_link__pin", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int BpfLinkPin(nint link, string path);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_link__fd")]
    public static partial int BpfLinkFd(nint link);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_link__destroy")]
    public static partial int BpfLinkDestroy(nint link);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_obj_get", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int BpfObjGet(string path);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_obj_pin", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int BpfObjPin(int fd, string path);

    /// <summary>tcx attach types (uapi 6.6; Debian's libbpf 1.1 headers predate them, KERNEL.md §6).</summary>
    public const int BPF_TCX_INGRESS = 46;
    public const int BPF_TCX_EGRESS = 47;

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_link_create", SetLastError = true)]
    public static partial int BpfLinkCreate(int progFd, int targetFd, int attachType, void* opts);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_iter_create", SetLastError = true)]
    public static partial int BpfIterCreate(int linkFd);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
    public static partial int BpfMapUpdateElem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_map_lookup_elem_flags", SetLastError = true)]
    public static partial int BpfMapLookupElemFlags(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_map_delete_elem", SetLastError = true)]
    public static partial int BpfMapDeleteElem(int fd, void* key);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_obj_get_info_by_fd", SetLastError = true)]
    public static partial int BpfObjGetInfoByFd(int fd, void* info, uint* infoLen);

    /// <summary>The head of struct bpf_map_info (uapi): what a map's entries are. The kernel fills
    /// as much of the struct as the length passed says.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BpfMapInfoHead
    {
        public uint Type, Id, KeySize, ValueSize, MaxEntries, MapFlags;
    }

    [LibraryImport(Libraries.Libbpf, EntryPoint = "bpf_map_get_next_key", SetLastError = true)]
    public static partial int BpfMapGetNextKey(int fd, void* key, void* nextKey);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "ring_buffer__new", SetLastError = true)]
    public static partial nint RingBufferNew(int mapFd, delegate* unmanaged<nint, nint, nuint, int> sample, nint ctx, void* opts);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "ring_buffer__poll")]
    public static partial int RingBufferPoll(nint rb, int timeoutMs);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "ring_buffer__free")]
    public static partial void RingBufferFree(nint rb);

    [LibraryImport(Libraries.Libbpf, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int LibbpfNumPossibleCpus();
}

/// <summary>libbpf's option structs, as laid out on 64-bit Linux (checked against the 1.1 headers).</summary>
internal static class LibbpfOpts
{
    /// <summary>sizeof(struct bpf_object_open_opts); pin_root_path is at offset 24.</summary>
    public const int ObjectOpenOptsSize = 80, ObjectOpenOptsPinRootPath = 24;
    /// <summary>sizeof(struct bpf_link_create_opts); iter_info@16, iter_info_len@24.</summary>
    public const int LinkCreateOptsSize = 64, LinkCreateOptsIterInfo = 16, LinkCreateOptsIterInfoLen = 24;
    /// <summary>sizeof(union bpf_iter_link_info); task.pid is at offset 4.</summary>
    public const int IterLinkInfoSize = 16, IterLinkInfoTaskPid = 4;
}
