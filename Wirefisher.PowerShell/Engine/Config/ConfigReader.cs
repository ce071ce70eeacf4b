using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using YamlDotNet.RepresentationModel;

namespace Wirefisher.Engine.Config;

/// <summary>One key of a mapping, found case-insensitively: the key as the file wrote it, its canonical name and its value.</summary>
internal sealed record ConfigEntry(YamlScalarNode KeyNode, string Key, YamlNode Value);

/// <summary>
/// Reads the nodes of one file and makes its errors: every error carries the
/// file name and the line and column of the node it is about.
/// </summary>
internal sealed class ConfigReader
{
    public ConfigReader(string file) => File = file;

    public string File { get; }
    public List<string> Warnings { get; } = new();

    public string Where(YamlNode node) => $"{File}:{node.Start.Line}:{node.Start.Column}";

    public ConfigException Error(YamlNode node, string problem) =>
        new(File, (int)node.Start.Line, (int)node.Start.Column, problem);

    public void Warn(YamlNode node, string text) => Warnings.Add($"{Where(node)}: {text}");

    /// <summary>
    /// The keys of a mapping by canonical name. A key that is not in known is
    /// an error that names the nearest known key; so is a key given twice
    /// (keys are not case-sensitive, so "rate" and "Rate" are the same key).
    /// </summary>
    public Dictionary<string, ConfigEntry> Keys(YamlMappingNode map, IReadOnlyList<string> known, string label, string what,
        IReadOnlyDictionary<string, string>? hints = null)
    {
        var found = new Dictionary<string, ConfigEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode key || key.Value is null)
                throw Error(k, $"{label}: a key is a {Kind(k)}; keys are plain names such as {known[0]}. Write '{known[0]}: value'.");
            string? canon = known.FirstOrDefault(n => string.Equals(n, key.Value, StringComparison.OrdinalIgnoreCase));
            if (canon is null)
                throw Error(key, UnknownKey(key.Value, known, label, what, hints));
            if (found.TryGetValue(canon, out ConfigEntry? first))
                throw Error(key, $"{label}: the key {canon} appears twice (first as '{first.Key}' on line {first.KeyNode.Start.Line}); keys are not case-sensitive. Keep one of them.");
            found[canon] = new ConfigEntry(key, canon, v);
        }
        return found;
    }

    private static string UnknownKey(string key, IReadOnlyList<string> known, string label, string what, IReadOnlyDictionary<string, string>? hints)
    {
        string list = string.Join(", ", known);
        if (hints is not null && hints.TryGetValue(key, out string? hint))
            return $"{label}: '{key}' is not a key of {what}. {hint} The keys of {what} are: {list}.";
        string nearest = Nearest(key, known);
        return $"{label}: '{key}' is not a key of {what}. Did you mean '{nearest}'? The keys of {what} are: {list}.";
    }

    /// <summary>The known word at the least edit distance (not case-sensitive); the first of equals.</summary>
    public static string Nearest(string word, IEnumerable<string> known) =>
        known.Select((k, i) => (k, i, d: Distance(word.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(x => x.d).ThenBy(x => x.i).First().k;

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    public static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    public static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "value",
    };

    /// <summary>A plain ~, null or nothing: YAML's null. A quoted '' is an empty string, not null.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode s && s.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any
        && (s.Value is null || s.Value.Length == 0 || s.Value == "~" || string.Equals(s.Value, "null", StringComparison.OrdinalIgnoreCase));

    /// <summary>The text of a single value; a list, a mapping or no value is an error that says what the key takes.</summary>
    public string Text(ConfigEntry e, string label, string allowed)
    {
        if (e.Value is not YamlScalarNode s)
            throw Error(e.Value, $"{label}: {e.Key} is a {Kind(e.Value)}, but it takes a single value: {allowed}. Write '{e.Key}: value' on one line.");
        if (IsNull(s))
            throw Error(e.Value, $"{label}: {e.Key} has no value. Give {allowed}, or leave {e.Key} out.");
        return s.Value!;
    }

    /// <summary>A whole number in [min, max].</summary>
    public int Integer(ConfigEntry e, string label, string allowed, int min, int max)
    {
        string t = Text(e, label, allowed).Trim();
        if (!int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            throw Error(e.Value, long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? $"{label}: {e.Key} is {t}, out of range. Give {allowed}."
                : $"{label}: {e.Key} is '{t}', which is not a whole number. Give {allowed}.");
        if (n < min || n > max)
            throw Error(e.Value, $"{label}: {e.Key} is {n}, out of range. Give {allowed}.");
        return n;
    }

    /// <summary>true/false, or the original's enable/disable (not case-sensitive).</summary>
    public bool Flag(ConfigEntry e, string label)
    {
        const string allowed = "true or false (enable or disable)";
        string t = Text(e, label, allowed).Trim().ToLowerInvariant();
        return t switch
        {
            "true" or "enable" => true,
            "false" or "disable" => false,
            _ => throw Error(e.Value, $"{label}: {e.Key} is '{t}', which is not a yes-or-no value. Write {allowed}."),
        };
    }

    /// <summary>One value or a list of values, each a single value.</summary>
    public List<(string Text, YamlNode Node)> TextList(ConfigEntry e, string label, string allowed)
    {
        if (e.Value is YamlSequenceNode seq)
        {
            if (seq.Children.Count == 0)
                throw Error(e.Value, $"{label}: {e.Key} is an empty list. Give {allowed}, or leave {e.Key} out.");
            var list = new List<(string, YamlNode)>();
            foreach (YamlNode item in seq.Children)
            {
                if (item is not YamlScalarNode s)
                    throw Error(item, $"{label}: an item of {e.Key} is a {Kind(item)}, but each item is a single value: {allowed}.");
                if (IsNull(s))
                    throw Error(item, $"{label}: an item of {e.Key} has no value. Give {allowed}.");
                list.Add((s.Value!, s));
            }
            return list;
        }
        if (e.Value is YamlMappingNode)
            throw Error(e.Value, $"{label}: {e.Key} is a mapping, but it takes a value or a list of values: {allowed}.");
        return new List<(string, YamlNode)> { (Text(e, label, allowed), e.Value) };
    }
}
