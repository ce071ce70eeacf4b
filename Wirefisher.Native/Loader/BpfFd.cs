using System;
using Microsoft.Win32.SafeHandles;
using Wirefisher.Native.Interop;

namespace Wirefisher.Native.Loader;

/// <summary>An owned file descriptor of a BPF map, program or link (closed on dispose).</summary>
public sealed class BpfFd : SafeHandleZeroOrMinusOneIsInvalid
{
    public BpfFd(int fd) : base(ownsHandle: true) => SetHandle((IntPtr)fd);

    public int Fd => (int)handle;

    /// <summary>Opens a pinned object (bpf_obj_get).</summary>
    public static BpfFd OpenPinned(string path) =>
        new(LibbpfCheck.Fd(Libbpf.BpfObjGet(path), $"Opening the pinned object {path}"));

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
