using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Wirefisher.Engine;
using Wirefisher.Native.Loader;

namespace Wirefisher.Commands;

/// <summary>Tab completion of rule names from the kernel (nothing when not root or not enabled).</summary>
public sealed class RuleNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
        string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        List<string> names;
        try
        {
            names = WfKernel.IsEnabled ? LimitService.Get(queues: false).Select(r => r.Name).Distinct().ToList() : new List<string>();
        }
        catch
        {
            names = new List<string>();
        }
        var p = new WildcardPattern(wordToComplete + "*", WildcardOptions.IgnoreCase);
        return names.Where(p.IsMatch).Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
