using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Set-WfCongestionControl: TCP connections whose local or remote address/port
/// (or whose process) matches get this congestion-control algorithm; the
/// original's tcp_switch_module. Setting the same match again changes it in place.
/// </summary>
[Cmdlet(VerbsCommon.Set, "WfCongestionControl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TupleSet)]
[OutputType(typeof(CongestionRule))]
public sealed class SetWfCongestionControlCommand : WfCmdlet
{
    private const string TupleSet = "Tuple", NameSet = "ProcessName", ProcessSet = "Process";
    private readonly List<LimitRequest> _requests = new();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ProcessSet)]
    [Alias("Id", "OwningProcess")]
    [ValidateNotNullOrEmpty]
    public int[] Pid { get; set; } = Array.Empty<int>();

    /// <summary>Every process of this name (wildcards * and ?), now and later.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ProcessName { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public string[]? LocalAddress { get; set; }

    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public string[]? RemoteAddress { get; set; }

    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public object? LocalPort { get; set; }

    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public object? RemotePort { get; set; }

    /// <summary>The algorithm: one of /proc/sys/net/ipv4/tcp_available_congestion_control (bbr, cubic, reno, ...).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(CongestionCompleter))]
    [ValidateNotNullOrEmpty]
    public string Algorithm { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => RequireRoot("Setting a congestion-control rule");

    protected override void ProcessRecord()
    {
        try
        {
            string algorithm = CongestionControl.Check(Algorithm);
            if (Name is not null) RuleNames.Validate(Name);
            if (ParameterSetName == TupleSet && LocalAddress is null && RemoteAddress is null && LocalPort is null && RemotePort is null)
                throw new RuleInputException("NoMatcher", ErrorCategory.InvalidArgument,
                    "The rule would match every TCP connection. Give -LocalAddress, -RemoteAddress, -LocalPort or -RemotePort (or -ProcessName, -Pid); to change the default for all, set net.ipv4.tcp_congestion_control.", null);
            var inputs = ParameterSetName switch
            {
                ProcessSet => new RuleInputs { Pid = Pid },
                NameSet => new RuleInputs { ProcessName = ProcessName },
                _ => new RuleInputs { Protocol = "TCP", LocalAddress = LocalAddress, RemoteAddress = RemoteAddress, LocalPort = LocalPort, RemotePort = RemotePort },
            };
            foreach (RuleTarget t in inputs.Targets())
                _requests.Add(new LimitRequest(t, Direction.Egress, 0, TimeSpan.FromSeconds(1), Name, Algorithm: algorithm));
        }
        catch (RuleInputException e)
        {
            Fail(e.Message, e.Cause, e.Category, e.Target);
        }
        catch (ArgumentException e)
        {
            Fail(e.Message, "InvalidName", ErrorCategory.InvalidArgument, Name);
        }
    }

    protected override void EndProcessing()
    {
        var chosen = _requests.FindAll(q => ShouldProcess($"TCP connections of {q.Target.Kind} {q.Target.Text}", $"Use congestion control {q.Algorithm}"));
        if (chosen.Count == 0) return;
        var rules = Run(() => RuleService.Set(chosen), "ApplyFailed");
        if (PassThru) WriteObject(rules.Select(CongestionRule.From), enumerateCollection: true);
    }
}
