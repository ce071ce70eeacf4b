using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using Wirefisher.Engine;

namespace Wirefisher.Commands;

/// <summary>Tab completion of -Algorithm: what the kernel has.</summary>
public sealed class CongestionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
        string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Of(CongestionControl.Available(), wordToComplete);
}
