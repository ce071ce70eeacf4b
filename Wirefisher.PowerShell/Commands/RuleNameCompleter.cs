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
            names = WfKernel.IsEnabled ? RuleService.Get(queues: false).Select(r => r.Name).Distinct().ToList() : new List<string>();
        }
        catch
        {
            names = new List<string>();
        }
        return Completions.Of(names, wordToComplete);
    }
}

/// <summary>Tab completion of this namespace's network device names.</summary>
public sealed class InterfaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
        string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Of(System.IO.Directory.Exists("/sys/class/net")
            ? System.IO.Directory.GetDirectories("/sys/class/net").Select(System.IO.Path.GetFileName).OfType<string>().Order().ToList()
            : new List<string>(), wordToComplete);
}

/// <summary>Tab completion of -Protocol.</summary>
public sealed class ProtocolCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
        string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Of(new[] { "TCP", "UDP", "ICMP", "ICMPv6" }, wordToComplete);
}

internal static class Completions
{
    /// <summary>The words that start with what was typed (quoted when they need it).</summary>
    public static IEnumerable<CompletionResult> Of(IEnumerable<string> words, string typed)
    {
        var p = new WildcardPattern(WildcardPattern.Escape(typed.Trim('\'', '"')) + "*", WildcardOptions.IgnoreCase);
        return words.Where(p.IsMatch).Select(n =>
            new CompletionResult(n.Any(c => char.IsWhiteSpace(c) || c is '\'' or '$' or '`') ? $"'{n.Replace("'", "''")}'" : n,
                n, CompletionResultType.ParameterValue, n));
    }
}
