using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Watch-WfFlowRate: a snapshot of FlowRate objects every -Interval until
/// Ctrl+C or -Count. Snapshot k is taken at start + k x interval, so 60
/// snapshots take 60 intervals, not 60 intervals plus the work.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "WfFlowRate")]
[OutputType(typeof(FlowRate), typeof(ConnectionFlowRate), typeof(RuleFlowRate), typeof(CgroupFlowRate), typeof(InterfaceFlowRate))]
public sealed class WatchWfFlowRateCommand : WfFlowRateCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Time between snapshots: a TimeSpan, seconds, or "500ms", "1s", "2m". Default 1 s.</summary>
    [Parameter]
    public object Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many snapshots; without it, until Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    protected override void ProcessRecord() => CollectPipedPids();

    protected override void EndProcessing()
    {
        TimeSpan interval = CheckedInterval(Interval);

        // last in its pipeline, the objects go to the screen (or a variable): a blank line and the
        // time between snapshots there, so they do not run together; the objects are unchanged
        bool toHost = MyInvocation.PipelinePosition == MyInvocation.PipelineLength;
        var clock = Stopwatch.StartNew();
        for (long k = 0; Count == 0 || k < Count; k++)
        {
            TimeSpan due = interval * k;
            TimeSpan wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero && _stop.Token.WaitHandle.WaitOne(wait))
                return; // stopped
            if (_stop.IsCancellationRequested) return;
            var snapshot = Snapshot(PipedPids);
            if (toHost) // as Write-Host does: 6>$null or -InformationAction Ignore hides it
                WriteInformation(new HostInformationMessage { Message = $"{(k > 0 ? Environment.NewLine : "")}-- snapshot {k + 1}{(Count > 0 ? $" of {Count}" : "")} at {DateTime.Now:HH:mm:ss} --" }, new[] { "PSHOST" });
            WriteObject(snapshot, enumerateCollection: true);
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}
