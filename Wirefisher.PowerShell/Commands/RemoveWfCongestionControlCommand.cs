using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>
/// Remove-WfCongestionControl: takes congestion-control rules away, by name,
/// by what they match (-LocalPort 8080) or from the pipeline. Connections keep
/// the algorithm they have; new ones get the system's default.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "WfCongestionControl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(CongestionRule))]
public sealed class RemoveWfCongestionControlCommand : WfCmdlet
{
    private readonly List<CongestionRule> _targets = new();

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "Tuple")]
    public string[]? LocalAddress { get; set; }

    [Parameter(ParameterSetName = "Tuple")]
    public string[]? RemoteAddress { get; set; }

    [Parameter(ParameterSetName = "Tuple")]
    public object? LocalPort { get; set; }

    [Parameter(ParameterSetName = "Tuple")]
    public object? RemotePort { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    public CongestionRule[] InputObject { get; set; } = Array.Empty<CongestionRule>();

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => RequireRoot("Removing a congestion-control rule");

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputObject")
        {
            _targets.AddRange(InputObject);
            return;
        }
        var all = WfKernel.IsEnabled
            ? Run(() => RuleService.Get(r => r.Algorithm is not null, queues: false, congestion: true), "ReadFailed").Select(CongestionRule.From).ToList()
            : new List<CongestionRule>();
        if (ParameterSetName == "Name")
        {
            foreach (string n in Name)
            {
                var p = Patterns(new[] { n }, "Name")[0];
                var hit = all.Where(r => p.IsMatch(r.Name)).ToList();
                if (hit.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(n))
                    Fail($"No congestion-control rule named '{n}'. List them with Get-WfCongestionControl.", "NotFound", ErrorCategory.ObjectNotFound, n);
                _targets.AddRange(hit);
            }
            return;
        }
        RuleTarget t;
        try
        {
            t = new RuleInputs { Protocol = "TCP", LocalAddress = LocalAddress, RemoteAddress = RemoteAddress, LocalPort = LocalPort, RemotePort = RemotePort }.Targets()[0];
        }
        catch (RuleInputException e)
        {
            Fail(e.Message, e.Cause, e.Category, e.Target);
            return;
        }
        var match = all.Where(r => r.Kind == RuleKind.Tuple && r.Target == t.Text).ToList();
        if (match.Count == 0)
            Fail($"No congestion-control rule matches {t.Text}. List them with Get-WfCongestionControl.", "NotFound", ErrorCategory.ObjectNotFound, t.Text);
        _targets.AddRange(match);
    }

    protected override void EndProcessing()
    {
        var chosen = _targets.DistinctBy(r => r.Id).Where(r => ShouldProcess($"{r.Name} ({r.Target}: {r.Algorithm})", "Remove congestion-control rule")).ToList();
        if (chosen.Count == 0) return;
        var gone = Run(() => RuleService.Remove(chosen.Select(r => r.Id)), "RemoveFailed").ToHashSet();
        if (PassThru) WriteObject(chosen.Where(r => gone.Contains(r.Id)), enumerateCollection: true);
    }
}
