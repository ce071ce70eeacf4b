using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Wirefisher.Engine.Config;

/// <summary>
/// Reads and writes Wirefisher's rule files (see about_Wirefisher_Config).
/// Pure: no kernel, no file system; the caller reads and writes the text.
/// </summary>
/// <remarks>
/// Two forms are read. Wirefisher's own: top-level "rules" (limits, keys as
/// the Set-WfLimit parameters) and "congestionControl" (keys as the
/// Set-WfCongestionControl parameters). The original tool's: process_module,
/// cgroup_module, eth_module, ip_pro_port_module, tcp_switch_module and kafka.
/// A file is one or the other. Every value is checked as Set-WfLimit checks
/// it, so a file that parses holds no value the cmdlets would refuse as
/// malformed (whether a PID, user, cgroup or device exists is for the engine
/// to find out when it applies the rules).
/// </remarks>
public static class ConfigFile
{
    /// <summary>
    /// Parses a file's text. Throws <see cref="ConfigException"/>, whose message
    /// is "file:line:column: what is wrong. What to do.", for anything that
    /// cannot be used: YAML syntax, wrong types, unknown keys (with the nearest
    /// known key), bad values, missing targets or rates, duplicate names.
    /// </summary>
    public static ConfigDocument Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        string file = string.IsNullOrEmpty(fileName) ? "(config)" : fileName;
        var r = new ConfigReader(file);

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException(file, (int)Math.Max(1, e.Start.Line), (int)Math.Max(1, e.Start.Column), Syntax(e), e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw Unscannable(file, yaml, e);
        }

        const string empty = "The file has no rules: it is empty. Write the rules under 'rules:' (see Get-Help about_Wirefisher_Config); to have no rules in force after the import, write 'rules: []'.";
        if (stream.Documents.Count == 0)
            throw new ConfigException(file, 1, 1, empty);
        if (stream.Documents.Count > 1)
            throw r.Error(stream.Documents[1].RootNode, "The file holds more than one YAML document (a second '---'). Put every rule in one document.");
        YamlNode root = stream.Documents[0].RootNode;
        if (ConfigReader.IsNull(root) || root is YamlMappingNode { Children.Count: 0 })
            throw r.Error(root, empty);
        if (root is not YamlMappingNode map)
            throw r.Error(root, $"The file is a {ConfigReader.Kind(root)}, but it must be a mapping: 'rules:' and 'congestionControl:' (Wirefisher's form), or the original tool's sections (process_module: ...).");

        var keys = map.Children.Keys.OfType<YamlScalarNode>().Where(k => k.Value is not null).ToList();
        YamlScalarNode? own = keys.FirstOrDefault(k => Is(k, OwnForm.RootKeys));
        YamlScalarNode? original = keys.FirstOrDefault(k => Is(k, OriginalForm.RootKeys));
        if (own is not null && original is not null)
        {
            bool ownFirst = own.Start.Index < original.Start.Index;
            YamlScalarNode first = ownFirst ? own : original, second = ownFirst ? original : own;
            throw r.Error(second, $"'{second.Value}' is a section of {FormOf(second)}, but '{first.Value}' (line {first.Start.Line}) is of {FormOf(first)}; a file is in one form or the other. Put all the rules in one form (Export-WfConfig writes Wirefisher's), or make two files.");
        }
        if (own is null && original is null)
        {
            YamlNode k = map.Children.Keys.First();
            string name = k is YamlScalarNode { Value: { } v } ? v : "?";
            string nearest = ConfigReader.Nearest(name, OwnForm.RootKeys.Concat(OriginalForm.RootKeys));
            throw r.Error(k, $"'{name}' is not a section of a rule file. Did you mean '{nearest}'? Wirefisher's form has 'rules:' and 'congestionControl:'; the original tool's has {string.Join(", ", OriginalForm.RootKeys)}.");
        }

        var doc = new ConfigDocument { IsOriginalForm = original is not null };
        if (original is not null) OriginalForm.Read(r, map, doc);
        else OwnForm.Read(r, map, doc);
        doc.Warnings.AddRange(r.Warnings);
        return doc;
    }

    /// <summary>
    /// Writes rules in Wirefisher's form: "rules" (limits), then
    /// "congestionControl" when there are congestion rules. Keys in a fixed
    /// order, keys without a value left out, values as given; the text parses
    /// back to the same Parameters, and the same rules always give the same text.
    /// Throws ArgumentException for a parameter that is not a key of the rule's kind.
    /// </summary>
    public static string Write(IEnumerable<ConfigRule> rules) => ConfigWriter.Write(rules);

    private static bool Is(YamlScalarNode k, IEnumerable<string> names) =>
        names.Any(n => string.Equals(n, k.Value, StringComparison.OrdinalIgnoreCase));

    private static string FormOf(YamlScalarNode k) => Is(k, OwnForm.RootKeys) ? "Wirefisher's form" : "the original tool's form";

    /// <summary>
    /// YamlDotNet sometimes fails without a position (an InvalidOperationException
    /// for a flow list left open before more lines). Scan the tokens again to find
    /// where: the innermost [ or { still open, or else the end of the last good token.
    /// </summary>
    private static ConfigException Unscannable(string file, string yaml, Exception e)
    {
        var open = new Stack<(Mark At, string Bracket)>();
        Mark last = Mark.Empty;
        try
        {
            var scanner = new Scanner(new StringReader(yaml));
            while (scanner.MoveNext())
            {
                var t = scanner.Current!;
                switch (t)
                {
                    case YamlDotNet.Core.Tokens.FlowSequenceStart: open.Push((t.Start, "[")); break;
                    case YamlDotNet.Core.Tokens.FlowMappingStart: open.Push((t.Start, "{")); break;
                    case YamlDotNet.Core.Tokens.FlowSequenceEnd or YamlDotNet.Core.Tokens.FlowMappingEnd when open.Count > 0: open.Pop(); break;
                }
                last = t.End;
            }
        }
        catch (Exception)
        {
            // The same failure: what was scanned up to it is what we know.
        }
        if (open.Count > 0)
        {
            var (at, bracket) = open.Peek();
            string close = bracket == "[" ? "]" : "}";
            return new ConfigException(file, (int)at.Line, (int)at.Column,
                $"The file is not valid YAML: this '{bracket}' is not closed. Close it with '{close}' on the same line ({(bracket == "[" ? "[10.0.0.1, 10.0.0.2]" : "{Name: web}")}), or write the items as a block list, one '- item' a line.", e);
        }
        return new ConfigException(file, (int)Math.Max(1, last.Line), (int)Math.Max(1, last.Column),
            "The file is not valid YAML: it cannot be read after this point. Fix the YAML here: indent with spaces, line up the keys of one mapping, close every quote and bracket.", e);
    }

    private static string Syntax(YamlException e)
    {
        string what = e.Message.Trim();
        if (what.StartsWith("Duplicate key", StringComparison.Ordinal))
            return $"The key '{what["Duplicate key".Length..].Trim()}' appears twice in one mapping. Keep one of them.";
        if (!what.EndsWith('.')) what += ".";
        return $"The file is not valid YAML: {what} Fix the YAML here: indent with spaces, line up the keys of one mapping, close every quote and bracket.";
    }
}
