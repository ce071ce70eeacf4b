using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Get-WfCongestionControl: the congestion-control rules in force.</summary>
[Cmdlet(VerbsCommon.Get, "WfCongestionControl")]
[OutputType(typeof(CongestionRule))]
public sealed class GetWfCongestionControlCommand : WfCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleNameCompleter))]
    public string[]? Name { get; set; }

    protected override void BeginProcessing() => RequireRoot("Reading congestion-control rules");

    protected override void ProcessRecord()
    {
        if (!WfKernel.IsEnabled) return;
        var names = Patterns(Name, "Name");
        var rules = Run(() => RuleService.Get(r => r.Algorithm is not null && (names.Count == 0 || names.Any(p => p.IsMatch(r.Name))), queues: false, congestion: true), "ReadFailed");
        WriteObject(rules.Select(CongestionRule.From), enumerateCollection: true);
    }
}
