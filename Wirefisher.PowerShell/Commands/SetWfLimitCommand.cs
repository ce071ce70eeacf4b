using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Set-WfLimit: holds processes to a rate. Changes an existing limit in place.</summary>
[Cmdlet(VerbsCommon.Set, "WfLimit", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ProcessSet)]
[OutputType(typeof(RateRule))]
public sealed class SetWfLimitCommand : WfCmdlet
{
    private const string ProcessSet = "Process";
    private readonly List<ProcessLimit> _limits = new();

    /// <summary>The processes to limit; binds Id (Get-Process), Pid (Get-WfLimit) and OwningProcess from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ProcessSet)]
    [Alias("Id", "OwningProcess")]
    [ValidateNotNullOrEmpty]
    public int[] Pid { get; set; } = Array.Empty<int>();

    /// <summary>
    /// Bytes per second: a number (1MB, 1048576) or a string ("1M", "512K", "8Mbit",
    /// "100Mbps"). Typed object so that a bad value is our InvalidArgument error
    /// with a message that says how to write a rate, not a binder error.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RateBps")] // the original's rate_bps, which meant bytes per second
    public object Rate { get; set; } = 0UL;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [DirectionTransformation]
    public Direction Direction { get; set; } = Direction.Both;

    /// <summary>The window over which the rate must hold: "500ms", "1s", "2m" or a TimeSpan.</summary>
    [Parameter]
    public object TimeScale { get; set; } = TimeSpan.FromSeconds(1);

    private ulong _rate;
    private TimeSpan _timeScale;

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateLength(1, 63)]
    public string? Name { get; set; }

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
            _rate = RateParser.RateFrom(Rate);
            _timeScale = RateParser.TimeSpanFrom(TimeScale);
            LimitService.Validate(_rate, _timeScale);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Fail(e.Message, "InvalidArgument", ErrorCategory.InvalidArgument, Rate);
        }
        foreach (int pid in Pid)
        {
            ProcessInfo? p = ProcessInfo.TryGet(pid);
            if (p is null)
                Fail($"No process with PID {pid} exists. Find the PID with Get-Process.", "ProcessNotFound", ErrorCategory.ObjectNotFound, pid);
            _limits.Add(new ProcessLimit(p!, Direction, _rate, _timeScale, Name, NoShaping));
        }
    }

    /// <summary>Everything was validated first; now apply all, or nothing.</summary>
    protected override void EndProcessing()
    {
        var chosen = _limits.FindAll(l => ShouldProcess(
            $"process {l.Process.Name} (PID {l.Process.Pid}), {l.Direction}",
            $"Limit to {RateParser.FormatRate(l.Rate)}"));
        if (chosen.Count == 0) return;
        Run(() => WfKernel.Enable(), "EnableFailed");
        var before = Run(() => LimitService.Get(queues: false), "ReadFailed").Select(LimitService.KeyOf).ToHashSet();
        var done = new List<RateRule>();
        var classes = Run(() => { using var store = new Native.Maps.RuleStore(); return Shaping.UsedClasses(store); }, "ReadFailed");
        try
        {
            foreach (ProcessLimit l in chosen)
                done.AddRange(Run(() => LimitService.Apply(l, activate: false, classes), "ApplyFailed", l.Process.Pid));
            Run(() => LimitService.Activate(done), "ActivateFailed"); // once for all the limits
        }
        catch
        {
            // take back the limits this call added (limits it only changed keep their new rate)
            foreach (RateRule r in done.Where(r => !before.Contains(LimitService.KeyOf(r))))
                LimitService.Remove(r, reconcile: false);
            LimitService.Reconcile();
            throw;
        }
        if (PassThru) WriteObject(done, enumerateCollection: true);
    }
}
