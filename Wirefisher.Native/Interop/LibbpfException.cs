using System;

namespace Wirefisher.Native.Interop;

/// <summary>A libbpf or bpf(2) call failed. <see cref="Errno"/> is positive (EPERM = 1, ...).</summary>
public sealed class LibbpfException : Exception
{
    public int Errno { get; }
    public string Operation { get; }
    /// <summary>What libbpf printed during the call (the verifier log on a failed load), if anything.</summary>
    public string? Log { get; }

    public LibbpfException(string operation, int errno, string? log = null)
        : base($"{operation} failed: {LibbpfCheck.Describe(errno)} (errno {errno}).")
    {
        Operation = operation;
        Errno = errno;
        Log = string.IsNullOrWhiteSpace(log) ? null : log;
    }

    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EACCES = 13, EEXIST = 17, EINVAL = 22,
        ENOSPC = 28, E2BIG = 7, EOPNOTSUPP = 95, ENOTSUPP = 524;
}
