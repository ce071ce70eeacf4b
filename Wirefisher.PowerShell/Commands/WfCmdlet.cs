using System.Collections.Generic;
using System;
using System.Management.Automation;
using Wirefisher.Native.Interop;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>
/// What every Wirefisher cmdlet shares: the root check and the one mapping from
/// failures to ErrorRecords (stable ids, real categories, a message that says
/// what to do).
/// </summary>
public abstract class WfCmdlet : PSCmdlet
{
    /// <summary>Stops the command with PermissionDenied unless running as root.</summary>
    protected void RequireRoot(string action) => Run(() => WfKernel.RequireRoot(action), "NotRoot");

    /// <summary>Runs an engine call; any failure stops the command with a fitting error.</summary>
    protected T Run<T>(Func<T> call, string cause, object? target = null)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is not PipelineStoppedException && e is not PSInvalidOperationException)
        {
            ThrowTerminatingError(ToErrorRecord(e, cause, target));
            throw; // not reached
        }
    }

    protected void Run(Action call, string cause, object? target = null) =>
        Run(() => { call(); return 0; }, cause, target);

    /// <summary>
    /// Runs work that reports its progress (status, percent) as Write-Progress
    /// under this activity, when it is big enough to take a while (at least
    /// `items` of 10); the bar is completed afterwards.
    /// </summary>
    protected T WithProgress<T>(string activity, int items, Func<Action<string, int>?, T> work)
    {
        if (items < 10) return work(null);
        try
        {
            return work((status, percent) =>
                WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = Math.Clamp(percent, 0, 100) }));
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Stops the command: bad input (InvalidArgument, ObjectNotFound, ...).</summary>
    protected void Fail(string message, string cause, ErrorCategory category, object? target)
    {
        Exception e = category switch
        {
            ErrorCategory.ObjectNotFound => new ItemNotFoundException(message),
            ErrorCategory.InvalidArgument => new ArgumentException(message),
            _ => new InvalidOperationException(message),
        };
        ThrowTerminatingError(new ErrorRecord(e, ErrorId(cause), category, target));
    }

    /// <summary>
    /// Wildcard patterns of a parameter, each checked (an unclosed [ is refused here
    /// with InvalidPattern, instead of failing later with a bare WildcardPatternException).
    /// </summary>
    protected List<WildcardPattern> Patterns(IEnumerable<string>? patterns, string parameter)
    {
        var list = new List<WildcardPattern>();
        foreach (string n in patterns ?? Array.Empty<string>())
        {
            var p = new WildcardPattern(n, WildcardOptions.IgnoreCase);
            try
            {
                p.IsMatch("");
            }
            catch (WildcardPatternException)
            {
                Fail($"-{parameter} '{n}' is not a wildcard pattern: * and ? match any characters, [abc] one of a set; write a literal [ as `[.",
                    "InvalidPattern", ErrorCategory.InvalidArgument, n);
            }
            list.Add(p);
        }
        return list;
    }

    /// <summary>The error id of a cause: the command's name without its hyphen, then the cause (SetWfLimitInvalidRate).</summary>
    protected string ErrorId(string cause) => MyInvocation.MyCommand.Name.Replace("-", "") + cause;

    internal ErrorRecord ToErrorRecord(Exception e, string cause, object? target)
    {
        (ErrorCategory category, string id) = e switch
        {
            WfNotRootException => (ErrorCategory.PermissionDenied, "NotRoot"),
            WfUnsupportedException u => (ErrorCategory.NotImplemented, "Unsupported" + u.Feature),
            WfNotEnabledException => (ErrorCategory.NotEnabled, "NotEnabled"),
            WfStaleStateException => (ErrorCategory.InvalidData, "StaleState"),
            Engine.RuleNameTakenException => (ErrorCategory.ResourceExists, "NameTaken"),
            WfLimitExceededException => (ErrorCategory.LimitsExceeded, "TooManyRules"),
            ArgumentException => (ErrorCategory.InvalidArgument, cause),
            LibbpfException l => (CategoryOf(l.Errno), cause),
            UnauthorizedAccessException => (ErrorCategory.PermissionDenied, cause),
            _ => (ErrorCategory.InvalidOperation, cause),
        };
        var record = new ErrorRecord(e, ErrorId(id), category, target);
        if (e is LibbpfException { Log: { } log })
            record.ErrorDetails = new ErrorDetails(e.Message + Environment.NewLine + "libbpf said:" + Environment.NewLine + log);
        return record;
    }

    /// <summary>The single errno -> ErrorCategory mapping.</summary>
    public static ErrorCategory CategoryOf(int errno) => errno switch
    {
        LibbpfException.EPERM or LibbpfException.EACCES => ErrorCategory.PermissionDenied,
        LibbpfException.ENOENT or LibbpfException.ESRCH => ErrorCategory.ObjectNotFound,
        LibbpfException.EEXIST => ErrorCategory.ResourceExists,
        LibbpfException.E2BIG or LibbpfException.ENOSPC => ErrorCategory.LimitsExceeded,
        LibbpfException.EINVAL => ErrorCategory.InvalidArgument,
        LibbpfException.EOPNOTSUPP or LibbpfException.ENOTSUPP => ErrorCategory.NotEnabled,
        _ => ErrorCategory.InvalidOperation,
    };
}
