using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace Wirefisher.Engine;

/// <summary>Bad input: Cause names it (the error id's tail, e.g. InvalidRate), Category how PowerShell files it.</summary>
public sealed class RuleInputException(string cause, ErrorCategory category, string message, object? target) : Exception(message)
{
    public string Cause { get; } = cause;
    public ErrorCategory Category { get; } = category;
    public object? Target { get; } = target;
}

/// <summary>
/// What a rule's parameters say, as Set-WfLimit, Set-WfCongestionControl and
/// Import-WfConfig get them: every target resolved and checked, every rate
/// parsed, before anything is applied. Throws <see cref="RuleInputException"/>.
/// </summary>
public sealed class RuleInputs
{
    public int[]? Pid { get; init; }
    public string[]? ProcessName { get; init; }
    public string[]? Path { get; init; }
    public string[]? User { get; init; }
    public string[]? Cgroup { get; init; }
    public string[]? Interface { get; init; }
    public string? Protocol { get; init; }
    public string[]? LocalAddress { get; init; }
    public string[]? RemoteAddress { get; init; }
    public object? LocalPort { get; init; }
    public object? RemotePort { get; init; }

    /// <summary>The targets, one per PID, name, path, ...; or the one address/protocol/port match.</summary>
    public List<RuleTarget> Targets()
    {
        var list = new List<RuleTarget>();
        foreach (int pid in Pid ?? Array.Empty<int>())
        {
            ProcessInfo p = ProcessInfo.TryGet(pid)
                ?? throw new RuleInputException("ProcessNotFound", ErrorCategory.ObjectNotFound, $"No process with PID {pid} exists. Find the PID with Get-Process.", pid);
            if (p.IsKernelThread)
                throw new RuleInputException("KernelThread", ErrorCategory.InvalidArgument, $"PID {pid} ({p.Name}) is a kernel thread: it has no sockets of its own to limit. Give the PID of a process.", pid);
            if (p.Tgid != pid)
                throw new RuleInputException("ThreadId", ErrorCategory.InvalidArgument, $"{pid} is a thread of process {p.Tgid} ({p.Name}); sockets belong to the whole process. Give -Pid {p.Tgid}.", pid);
            list.Add(RuleTarget.ForProcess(p));
        }
        foreach (string n in ProcessName ?? Array.Empty<string>()) list.Add(Check(() => RuleTarget.ForProcessName(n), "InvalidProcessName", n));
        foreach (string p in Path ?? Array.Empty<string>()) list.Add(Check(() => RuleTarget.ForPath(p), "PathNotFound", p));
        foreach (string u in User ?? Array.Empty<string>()) list.Add(Check(() => RuleTarget.ForUser(u), "UserNotFound", u));
        foreach (string c in Cgroup ?? Array.Empty<string>()) list.Add(Check(() => RuleTarget.ForCgroup(c), "CgroupNotFound", c));
        foreach (string i in Interface ?? Array.Empty<string>()) list.Add(Check(() => RuleTarget.ForInterface(i), "InterfaceNotFound", i));
        if (list.Count == 0) list.Add(TupleTarget());
        return list;
    }

    private RuleTarget TupleTarget()
    {
        byte proto = Protocol is null ? (byte)0 : Check(() => TupleMatch.ParseProtocol(Protocol), "InvalidProtocol", Protocol);
        var local = (LocalAddress ?? Array.Empty<string>()).Select(a => Check(() => Prefix.Parse(a), "InvalidAddress", a)).Distinct().ToList();
        var remote = (RemoteAddress ?? Array.Empty<string>()).Select(a => Check(() => Prefix.Parse(a), "InvalidAddress", a)).Distinct().ToList();
        PortRange lp = LocalPort is null ? PortRange.Any : Check(() => PortRange.Parse(Unwrap(LocalPort)), "InvalidPort", LocalPort);
        PortRange rp = RemotePort is null ? PortRange.Any : Check(() => PortRange.Parse(Unwrap(RemotePort)), "InvalidPort", RemotePort);
        var m = new TupleMatch(proto, local, remote, lp, rp);
        Check(() => m.ToKernel(0, 0), "InvalidAddress", LocalAddress);
        return Check(() => RuleTarget.ForTuple(m), "NoMatcher", null);
    }

    /// <summary>The rate and time scale of a limit (rate 0 for watch-only, which takes none).</summary>
    public static (ulong Rate, TimeSpan Scale) RateAndScale(object? rate, object? timeScale, bool watchOnly)
    {
        TimeSpan scale = Check(() => RateParser.TimeSpanFrom(timeScale ?? TimeSpan.FromSeconds(1)), "InvalidTimeScale", timeScale);
        Check(() => RuleService.Validate(RateParser.MinRate, scale), "InvalidTimeScale", timeScale);
        if (watchOnly)
        {
            if (rate is not null)
                throw new RuleInputException("WatchOnlyWithRate", ErrorCategory.InvalidArgument, "-WatchOnly counts traffic and never limits it, so it takes no -Rate. Leave out -Rate, or -WatchOnly to limit.", rate);
            return (0, scale);
        }
        if (rate is null)
            throw new RuleInputException("MissingRate", ErrorCategory.InvalidArgument, "Give -Rate (bytes per second: 1MB, '512K', '8Mbit'), or -WatchOnly to count without limiting.", null);
        ulong r = Check(() => RateParser.RateFrom(Unwrap(rate)), "InvalidRate", rate);
        Check(() => RuleService.Validate(r, TimeSpan.FromSeconds(1)), "InvalidRate", rate);
        return (r, scale);
    }

    private static object Unwrap(object o) => o is PSObject p ? p.BaseObject : o;

    /// <summary>Runs a parse or lookup; its ArgumentException or ItemNotFoundException becomes a RuleInputException with this cause.</summary>
    private static T Check<T>(Func<T> f, string cause, object? target)
    {
        try
        {
            return f();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or ItemNotFoundException)
        {
            throw new RuleInputException(cause, e is ItemNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, e.Message, target);
        }
    }

    private static void Check(Action f, string cause, object? target) => Check(() => { f(); return 0; }, cause, target);
}
