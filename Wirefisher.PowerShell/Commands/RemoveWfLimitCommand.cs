using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Remove-WfLimit: takes rules away, by name, by PID or from the pipeline (Get-WfLimit -Kind Cgroup | Remove-WfLimit).</summary>
[Cmdlet(VerbsCommon.Remove, "WfLimit", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(RateRule))]
public sealed class RemoveWfLimitCommand : WfCmdlet
{
    private readonly List<RateRule> _targets = new();
    private List<RateRule>? _all; // the rules, read once for all pipeline input (nothing changes before EndProcessing)

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Pid")]
    [Alias("Id", "OwningProcess")]
    public int[] Pid { get; set; } = Array.Empty<int>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public RateRule[] InputObject { get; set; } = Array.Empty<RateRule>();

    [Parameter(ParameterSetName = "Name")]
    [Parameter(ParameterSetName = "Pid")]
    [DirectionTransformation]
    public Direction Direction { get; set; } = Direction.Both;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => RequireRoot("Removing a limit");

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputObject")
        {
            _targets.AddRange(InputObject);
            return;
        }
        var all = _all ??= WfKernel.IsEnabled ? Run(() => RuleService.Get(queues: false), "ReadFailed") : new List<RateRule>();
        bool DirOk(RateRule r) => Direction == Direction.Both || r.Direction == Direction;
        if (ParameterSetName == "Name")
            foreach (string n in Name)
            {
                var p = Patterns(new[] { n }, "Name")[0];
                var hit = all.Where(r => p.IsMatch(r.Name) && DirOk(r)).ToList();
                if (hit.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(n))
                    Fail($"No limit named '{n}'. List the limits with Get-WfLimit.", "NotFound", ErrorCategory.ObjectNotFound, n);
                _targets.AddRange(hit);
            }
        else
            foreach (int pid in Pid)
            {
                var hit = all.Where(r => r.Pid == pid && DirOk(r)).ToList();
                if (hit.Count == 0)
                    Fail($"No limit applies to PID {pid}. List the limits with Get-WfLimit.", "NotFound", ErrorCategory.ObjectNotFound, pid);
                _targets.AddRange(hit);
            }
    }

    protected override void EndProcessing()
    {
        var chosen = _targets.DistinctBy(r => r.Id).Where(r => ShouldProcess($"{r.Name} ({r.Kind} {r.Target}, {r.Direction})", "Remove limit")).ToList();
        if (chosen.Count == 0) return;
        // one engine call for all: shaper classes go and TCP gets its speed back once
        var removed = Run(() => RuleService.Remove(chosen), "RemoveFailed");
        if (PassThru) WriteObject(removed, enumerateCollection: true);
    }
}
