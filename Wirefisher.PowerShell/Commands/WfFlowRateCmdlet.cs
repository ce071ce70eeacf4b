using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>What Get-, Watch- and Show-WfFlowRate share: grouping and filters.</summary>
public abstract class WfFlowRateCmdlet : WfCmdlet
{
    /// <summary>Process (default), Connection (one object per socket), Rule (one per rule) or Cgroup (processes summed per cgroup).</summary>
    [Parameter]
    public FlowGrouping By { get; set; } = FlowGrouping.Process;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "OwningProcess")]
    public int[]? Pid { get; set; }

    [Parameter]
    [SupportsWildcards]
    public string[]? ProcessName { get; set; }

    [Parameter]
    [DirectionTransformation]
    public Direction Direction { get; set; } = Direction.Both;

    /// <summary>Only what these rules matched (wildcards): with -By Connection, the sockets whose traffic matched them; with -By Rule, those rules.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(RuleNameCompleter))]
    public string[]? Rule { get; set; }

    private HashSet<int>? _pipedPids;

    protected override void BeginProcessing() => RequireRoot("Reading flow rates");

    /// <summary>
    /// Every -Pid piped in so far (Pid holds only the last record's), for Watch- and Show-WfFlowRate,
    /// which show them together once the input ends: they call this from ProcessRecord.
    /// </summary>
    protected void CollectPipedPids()
    {
        if (Pid is not null) (_pipedPids ??= new HashSet<int>()).UnionWith(Pid);
    }

    /// <summary>What <see cref="CollectPipedPids"/> collected; null when no -Pid came.</summary>
    protected HashSet<int>? PipedPids => _pipedPids;

    /// <summary>An -Interval of Watch- or Show-WfFlowRate: 100 ms to a day, or the error InvalidInterval.</summary>
    protected TimeSpan CheckedInterval(object value)
    {
        TimeSpan interval = TimeSpan.Zero;
        try { interval = RateParser.TimeSpanFrom(value); }
        catch (FormatException e) { Fail(e.Message, "InvalidInterval", ErrorCategory.InvalidArgument, value); }
        if (interval < TimeSpan.FromMilliseconds(100) || interval > TimeSpan.FromDays(1))
            Fail($"The interval must be at least 100ms and at most a day; {interval} was given.", "InvalidInterval", ErrorCategory.InvalidArgument, value);
        return interval;
    }

    /// <summary>One snapshot, filtered (by pids, or else -Pid) and sorted (by Pid, then direction).</summary>
    protected List<FlowRate> Snapshot(ICollection<int>? pids = null)
    {
        pids ??= Pid;
        var names = Patterns(ProcessName, "ProcessName");
        var rules = Patterns(Rule, "Rule");
        return Run(() => FlowRateReader.Sample(By), "ReadFailed")
            .Where(f => pids is null || pids.Contains(f.Pid))
            .Where(f => names.Count == 0 || names.Any(p => p.IsMatch(f.ProcessName)))
            .Where(f => Direction == Direction.Both || f.Direction == Direction)
            .Where(f => rules.Count == 0 || f switch
            {
                ConnectionFlowRate c => c.Rules.Any(n => rules.Any(p => p.IsMatch(n))),
                RuleFlowRate r => rules.Any(p => p.IsMatch(r.Name)),
                _ => true,
            })
            .OrderBy(f => f.Pid).ThenBy(f => f.Direction).ToList();
    }
}
