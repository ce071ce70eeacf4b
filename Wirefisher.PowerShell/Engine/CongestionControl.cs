using System;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace Wirefisher.Engine;

/// <summary>The congestion-control algorithms this kernel has.</summary>
public static class CongestionControl
{
    public const string AvailablePath = "/proc/sys/net/ipv4/tcp_available_congestion_control";

    public static string[] Available() =>
        File.Exists(AvailablePath) ? File.ReadAllText(AvailablePath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Array.Empty<string>();

    /// <summary>The algorithm as the kernel names it; RuleInputException (ObjectNotFound) listing what there is if the kernel lacks it.</summary>
    public static string Check(string algorithm)
    {
        string a = algorithm.Trim();
        string[] have = Available();
        return have.FirstOrDefault(h => string.Equals(h, a, StringComparison.OrdinalIgnoreCase))
            ?? throw new RuleInputException("AlgorithmNotFound", ErrorCategory.ObjectNotFound,
                $"This kernel has no congestion-control algorithm '{a}'. It has: {string.Join(", ", have)} ({AvailablePath}); load another with modprobe tcp_<name>.", algorithm);
    }
}
