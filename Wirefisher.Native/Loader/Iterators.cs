using System;
using System.IO;
using System.Runtime.InteropServices;
using Wirefisher.Native.Interop;

namespace Wirefisher.Native.Loader;

/// <summary>
/// BPF iterators: a link to a pinned iterator program (optionally with one
/// word of union bpf_iter_link_info set: a task PID), and reading
/// it to its end, which is when the program does its work.
/// </summary>
internal static unsafe class Iterators
{
    /// <summary>Offset in union bpf_iter_link_info of the word Wirefisher sets.</summary>
    public const int TaskPid = LibbpfOpts.IterLinkInfoTaskPid;

    /// <summary>A link for the program; infoOffset null = no parameter.</summary>
    public static BpfFd Link(BpfFd prog, int? infoOffset, uint value, string what)
    {
        if (infoOffset is null)
            return new BpfFd(LibbpfCheck.Fd(Libbpf.BpfLinkCreate(prog.Fd, 0, Libbpf.BPF_TRACE_ITER, null), what));
        byte* info = stackalloc byte[LibbpfOpts.IterLinkInfoSize];
        new Span<byte>(info, LibbpfOpts.IterLinkInfoSize).Clear();
        *(uint*)(info + infoOffset.Value) = value;
        byte* opts = stackalloc byte[LibbpfOpts.LinkCreateOptsSize];
        new Span<byte>(opts, LibbpfOpts.LinkCreateOptsSize).Clear();
        *(nuint*)opts = LibbpfOpts.LinkCreateOptsSize;
        *(byte**)(opts + LibbpfOpts.LinkCreateOptsIterInfo) = info;
        *(uint*)(opts + LibbpfOpts.LinkCreateOptsIterInfoLen) = LibbpfOpts.IterLinkInfoSize;
        return new BpfFd(LibbpfCheck.Fd(Libbpf.BpfLinkCreate(prog.Fd, 0, Libbpf.BPF_TRACE_ITER, opts), what));
    }

    /// <summary>Runs the iterator to its end; appends what it wrote to output, if any.</summary>
    public static void Read(int linkFd, Stream? output)
    {
        using var iter = new BpfFd(LibbpfCheck.Fd(Libbpf.BpfIterCreate(linkFd), "Creating an iterator"));
        byte[] buf = new byte[64 * 1024];
        fixed (byte* b = buf)
        {
            nint n;
            while ((n = Libc.Read(iter.Fd, b, (nuint)buf.Length)) > 0) output?.Write(buf, 0, (int)n);
            if (n < 0) throw new LibbpfException("Reading an iterator", Marshal.GetLastPInvokeError());
        }
    }
}
