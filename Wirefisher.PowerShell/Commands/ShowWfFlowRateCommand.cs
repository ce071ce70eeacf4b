using System;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>
/// Show-WfFlowRate: a live top view, redrawn in place every -Interval (ANSI,
/// like top): the busiest flows by smoothed rate, their four rates, the limit
/// on each and the totals; q or Ctrl+C quits. With output redirected it
/// writes plain snapshots instead. For scripts, use Watch-WfFlowRate.
/// </summary>
[Cmdlet(VerbsCommon.Show, "WfFlowRate")]
[OutputType(typeof(void))]
public sealed class ShowWfFlowRateCommand : WfFlowRateCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>How many flows to show (the busiest first).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 15;

    /// <summary>Time between redraws: a TimeSpan, seconds, or "500ms", "2s". Default 1 s.</summary>
    [Parameter]
    public object Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop after this many screens; without it, until q or Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    protected override void ProcessRecord() => CollectPipedPids();

    protected override void EndProcessing()
    {
        if (By is FlowGrouping.Cgroup or FlowGrouping.Interface)
            Fail($"Show-WfFlowRate shows -By Process, Connection or Rule; for -By {By}, use Watch-WfFlowRate -By {By} | Format-Table.", "InvalidGrouping", ErrorCategory.InvalidArgument, By);
        TimeSpan interval = CheckedInterval(Interval);

        // a terminal gets the redrawn screen; a file, a pipe or a remote session gets one plain
        // screen after another, through the host (a remote session's stdout is its protocol)
        bool live = Host.Name == "ConsoleHost" && !Console.IsOutputRedirected;
        bool keys = live && !Console.IsInputRedirected;
        if (live) Console.Write("\x1b[?25l\x1b[H\x1b[2J"); // hide the cursor, clear
        try
        {
            var clock = Stopwatch.StartNew();
            for (long k = 0; Count == 0 || k < Count; k++)
            {
                var lines = TopView.Lines(Snapshot(PipedPids), Run(() => RuleService.Get(queues: false), "ReadFailed"), Top, By, DateTime.Now); // Snapshot stops the command if Wirefisher is off
                if (live)
                {
                    var sb = new StringBuilder("\x1b[H");
                    foreach (string l in lines) sb.Append(l).Append("\x1b[K\n"); // each line, then clear its rest
                    Console.Write(sb.Append("\x1b[J").ToString());          // and whatever was below
                    Console.Out.Flush();
                }
                else
                {
                    if (k > 0) Host.UI.WriteLine();
                    foreach (string l in lines) Host.UI.WriteLine(l);
                }
                if (Count > 0 && k + 1 == Count) break;
                if (WaitOrQuit(interval * (k + 1) - clock.Elapsed, keys)) break;
            }
        }
        finally
        {
            if (live) Console.Write("\x1b[?25h"); // the cursor back
        }
    }

    /// <summary>Waits; true when q was pressed or the command was stopped.</summary>
    private bool WaitOrQuit(TimeSpan wait, bool keys)
    {
        var until = DateTime.UtcNow + (wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        do
        {
            if (keys)
                while (Console.KeyAvailable)
                    if (Console.ReadKey(intercept: true).KeyChar is 'q' or 'Q') return true;
            if (_stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50))) return true;
        } while (DateTime.UtcNow < until);
        return false;
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}
