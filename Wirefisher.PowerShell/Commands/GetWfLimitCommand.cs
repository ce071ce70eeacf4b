using System;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Get-WfLimit: the rules in the kernel, as RateRule objects (one per direction).</summary>
[Cmdlet(VerbsCommon.Get, "WfLimit", DefaultParameterSetName = "All")]
[OutputType(typeof(RateRule))]
public sealed class GetWfLimitCommand : WfCmdlet
{
    [Parameter(Position = 0, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Pid")]
    [Alias("Id", "OwningProcess")]
    public int[]? Pid { get; set; }

    [Parameter]
    [DirectionTransformation]
    public Direction? Direction { get; set; }

    /// <summary>Only rules of these kinds (Process, ProcessName, Path, User, Cgroup, Interface, Tuple).</summary>
    [Parameter]
    public RuleKind[]? Kind { get; set; }

    protected override void BeginProcessing() => RequireRoot("Reading limits");

    protected override void ProcessRecord()
    {
        if (!WfKernel.IsEnabled) return; // nothing loaded: no limits
        var names = Patterns(Name, "Name");
        var rules = Run(() => RuleService.Get(r =>
            (names.Count == 0 || names.Any(p => p.IsMatch(r.Name))) &&
            (Kind is null || Kind.Contains(r.Kind)) &&
            (Pid is null || Pid.Contains(r.Pid)) &&
            (Direction is null || Direction == Wirefisher.Direction.Both || r.Direction == Direction)), "ReadFailed");
        foreach (string n in Name ?? Array.Empty<string>())
            if (!WildcardPattern.ContainsWildcardCharacters(n) && !rules.Any(r => string.Equals(r.Name, n, StringComparison.OrdinalIgnoreCase)))
                WriteError(new ErrorRecord(new ItemNotFoundException($"No limit named '{n}'. List the limits with Get-WfLimit."), "GetWfLimitNotFound", ErrorCategory.ObjectNotFound, n));
        foreach (int pid in Pid ?? Array.Empty<int>())
            if (!rules.Any(r => r.Pid == pid))
                WriteError(new ErrorRecord(new ItemNotFoundException($"No limit applies to PID {pid}. List the limits with Get-WfLimit."), "GetWfLimitNotFound", ErrorCategory.ObjectNotFound, pid));
        WriteObject(rules, enumerateCollection: true);
    }
}
