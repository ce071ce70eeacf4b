using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Set-WfLimit: holds traffic to a rate (or only watches it). A rule targets a
/// process, a process name or executable (now and later), a user, a cgroup, a
/// network device, or an address/protocol/port match. Setting the same target
/// and direction again changes the rule in place.
/// </summary>
[Cmdlet(VerbsCommon.Set, "WfLimit", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = TupleSet)]
[OutputType(typeof(RateRule))]
public sealed class SetWfLimitCommand : WfCmdlet
{
    private const string ProcessSet = "Process", NameSet = "ProcessName", PathSet = "Path", UserSet = "User",
        CgroupSet = "Cgroup", InterfaceSet = "Interface", TupleSet = "Tuple";
    private readonly List<LimitRequest> _requests = new();

    /// <summary>The processes to limit; binds Id (Get-Process), Pid (Get-WfLimit) and OwningProcess (Get-NetTCPConnection) from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ProcessSet)]
    [Alias("Id", "OwningProcess")]
    [ValidateNotNullOrEmpty]
    public int[] Pid { get; set; } = Array.Empty<int>();

    /// <summary>Every process of this name (wildcards * and ?), now and later.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ProcessName { get; set; } = Array.Empty<string>();

    /// <summary>Every process running this executable, now and later.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [Alias("FilePath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Every process of these users (names or UIDs).</summary>
    [Parameter(Mandatory = true, ParameterSetName = UserSet)]
    [Alias("UserName")]
    [ValidateNotNullOrEmpty]
    public string[] User { get; set; } = Array.Empty<string>();

    /// <summary>A cgroup v2 directory (absolute or below the v2 mount), its descendants and processes that join later.</summary>
    [Parameter(Mandatory = true, ParameterSetName = CgroupSet)]
    [ValidateNotNullOrEmpty]
    public string[] Cgroup { get; set; } = Array.Empty<string>();

    /// <summary>Network devices of this namespace, by name: the traffic of this host's sockets through them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InterfaceSet)]
    [Alias("InterfaceAlias")]
    [ArgumentCompleter(typeof(InterfaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Interface { get; set; } = Array.Empty<string>();

    /// <summary>TCP, UDP, ICMP, ICMPv6 or a protocol number.</summary>
    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProtocolCompleter))]
    public string? Protocol { get; set; }

    /// <summary>This host's addresses or prefixes (10.0.0.1, fd00::/8); several allowed.</summary>
    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public string[]? LocalAddress { get; set; }

    /// <summary>The other end's addresses or prefixes; several allowed.</summary>
    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public string[]? RemoteAddress { get; set; }

    /// <summary>A port (443) or a range ("8000-8100").</summary>
    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public object? LocalPort { get; set; }

    [Parameter(ParameterSetName = TupleSet, ValueFromPipelineByPropertyName = true)]
    public object? RemotePort { get; set; }

    /// <summary>
    /// Bytes per second: a number (1MB, 1048576) or a string ("1M", "512K", "8Mbit",
    /// "100Mbps"). Typed object so that a bad value is our InvalidRate error
    /// with a message that says how to write a rate, not a binder error.
    /// </summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RateBps")] // the original's rate_bps, which meant bytes per second
    public object? Rate { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [DirectionTransformation]
    public Direction Direction { get; set; } = Direction.Both;

    /// <summary>The window over which the rate must hold: "500ms", "1s", "2m" or a TimeSpan.</summary>
    [Parameter]
    public object TimeScale { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Count the matching traffic, per rule and per connection, and never limit it (no -Rate).</summary>
    [Parameter]
    public SwitchParameter WatchOnly { get; set; }

    /// <summary>Each matching process gets a bucket of its own at the rate, instead of one shared by all.</summary>
    [Parameter]
    public SwitchParameter PerProcess { get; set; }

    /// <summary>Ingress: police TCP from other hosts with the bucket alone instead of queueing it (the shaper).</summary>
    [Parameter]
    public SwitchParameter NoShaping { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing() => RequireRoot("Setting a limit");

    protected override void ProcessRecord()
    {
        try
        {
            (ulong rate, TimeSpan scale) = RuleInputs.RateAndScale(Rate, TimeScale, WatchOnly);
            if (Name is not null)
                RuleNames.Validate(Name);
            foreach (RuleTarget t in Inputs().Targets())
                _requests.Add(new LimitRequest(t, Direction, rate, scale, Name, NoShaping, WatchOnly, PerProcess));
        }
        catch (RuleInputException e)
        {
            Fail(e.Message, e.Cause, e.Category, e.Target);
        }
        catch (ArgumentException e)
        {
            Fail(e.Message, "InvalidName", ErrorCategory.InvalidArgument, Name);
        }
        if (Name is not null && _requests.Select(r => r.Target.Identity).Distinct().Count() > 1)
            Fail($"-Name '{Name}' was given for {_requests.Count} targets, but a name belongs to one rule. Leave -Name out (each rule gets its own name) or set one target at a time.",
                "NameNotUnique", ErrorCategory.InvalidArgument, Name);
    }

    /// <summary>The parameters of the parameter set in use.</summary>
    private RuleInputs Inputs() => ParameterSetName switch
    {
        ProcessSet => new RuleInputs { Pid = Pid },
        NameSet => new RuleInputs { ProcessName = ProcessName },
        PathSet => new RuleInputs { Path = Path },
        UserSet => new RuleInputs { User = User },
        CgroupSet => new RuleInputs { Cgroup = Cgroup },
        InterfaceSet => new RuleInputs { Interface = Interface },
        _ => new RuleInputs { Protocol = Protocol, LocalAddress = LocalAddress, RemoteAddress = RemoteAddress, LocalPort = LocalPort, RemotePort = RemotePort },
    };

    /// <summary>Everything was validated first; now apply all, or nothing.</summary>
    protected override void EndProcessing()
    {
        var chosen = _requests.FindAll(q => ShouldProcess($"{q.Target.Kind} {q.Target.Text}, {q.Direction}",
            q.WatchOnly ? "Watch" : $"Limit to {RateParser.FormatRate(q.Rate)}"));
        if (chosen.Count == 0) return;
        var rules = WithProgress($"Set-WfLimit: {chosen.Count} targets", chosen.Count, p => Run(() => RuleService.Set(chosen, p), "ApplyFailed"));
        if (PassThru) WriteObject(rules, enumerateCollection: true);
    }
}
