using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Wirefisher.Engine.Config;

/// <summary>
/// Writes Wirefisher's form with YamlDotNet's emitter: the emitter decides
/// quoting and escaping, so any name or path comes out as valid YAML. Nothing
/// is hand-written; the header comment goes through the emitter too.
/// </summary>
internal static class ConfigWriter
{
    private static readonly string[] Header =
    {
        "Wirefisher rules. Apply them with: Import-WfConfig -Path <this file>",
        "Keys and values: Get-Help about_Wirefisher_Config",
    };

    public static string Write(IEnumerable<ConfigRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var all = rules.ToList();
        var limits = all.Where(r => !r.IsCongestion).Select(r => Entries(r, OwnForm.LimitKeys, "a limit rule")).ToList();
        var congestion = all.Where(r => r.IsCongestion).Select(r => Entries(r, OwnForm.CongestionKeys, "a congestion rule")).ToList();

        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        IEmitter em = new Emitter(text, new EmitterSettings().WithIndentedSequences());
        em.Emit(new StreamStart());
        em.Emit(new DocumentStart());
        foreach (string line in Header) em.Emit(new Comment(line, false));
        em.Emit(new MappingStart());
        Section(em, OwnForm.RulesKey, limits, always: true); // "rules: []" for none, so the file still says its form
        Section(em, OwnForm.CongestionKey, congestion, always: false);
        em.Emit(new MappingEnd());
        em.Emit(new DocumentEnd(true));
        em.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Section(IEmitter em, string key, List<List<(string Key, object Value)>> rules, bool always)
    {
        if (rules.Count == 0 && !always) return;
        em.Emit(new Scalar(key));
        em.Emit(new SequenceStart(null, null, false, rules.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
        foreach (var rule in rules)
        {
            em.Emit(new MappingStart());
            foreach (var (k, v) in rule)
            {
                em.Emit(new Scalar(k));
                Value(em, v);
            }
            em.Emit(new MappingEnd());
        }
        em.Emit(new SequenceEnd());
    }

    /// <summary>The keys a rule has a value for, in the order of known; a key not in known is an ArgumentException.</summary>
    private static List<(string, object)> Entries(ConfigRule rule, string[] known, string what)
    {
        var list = new List<(string, object)>();
        foreach (var (key, raw) in rule.Parameters)
        {
            if (!known.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"{Name(rule)}: {key} is not a key of {what}; the keys are {string.Join(", ", known)}.", nameof(rule));
            object? v = raw is System.Management.Automation.PSObject p ? p.BaseObject : raw;
            if (v is null) continue;
            if (v is IEnumerable e and not string)
            {
                var items = e.Cast<object?>().Where(x => x is not null).Select(x => Text(x!)).ToList();
                if (items.Count == 0) continue;
                v = items;
            }
            list.Add((known.First(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)), v));
        }
        return list.OrderBy(x => Array.IndexOf(known, x.Item1)).ToList();
    }

    private static string Name(ConfigRule r) => r.Section.Length > 0 ? r.Section : r.Parameters.TryGetValue("Name", out object? n) ? $"rule '{n}'" : "a rule";

    private static void Value(IEmitter em, object v)
    {
        if (v is List<string> items)
        {
            if (items.Count == 1)
            {
                Plain(em, items[0]);
                return;
            }
            em.Emit(new SequenceStart(null, null, false, SequenceStyle.Flow));
            foreach (string s in items) Plain(em, s);
            em.Emit(new SequenceEnd());
            return;
        }
        if (v is string text)
            Plain(em, text);
        else
            em.Emit(new Scalar(Text(v))); // a bool, a number or a time: YAML reads it back as written
    }

    /// <summary>
    /// A scalar in the style the emitter finds, except text that YAML would
    /// read as null or as a boolean (a rule named "null" or "yes"): quoted, so
    /// that no YAML tool reads it as anything but text.
    /// </summary>
    private static void Plain(IEmitter em, string s)
    {
        bool quote = s.Trim().ToLowerInvariant() is "" or "~" or "null" or "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n";
        em.Emit(new Scalar(null, null, s, quote ? ScalarStyle.SingleQuoted : ScalarStyle.Any, true, true));
    }

    private static string Text(object v) => v switch
    {
        bool b => b ? "true" : "false",
        TimeSpan t => Time(t),
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>A TimeSpan (as the engine may keep a time scale) in the units the file takes: 500ms, 1s, 2m, 1h.</summary>
    private static string Time(TimeSpan t)
    {
        double ms = t.TotalMilliseconds;
        if (ms >= 3_600_000 && ms % 3_600_000 == 0) return (ms / 3_600_000).ToString(CultureInfo.InvariantCulture) + "h";
        if (ms >= 60_000 && ms % 60_000 == 0) return (ms / 60_000).ToString(CultureInfo.InvariantCulture) + "m";
        if (ms >= 1000 && ms % 1000 == 0) return (ms / 1000).ToString(CultureInfo.InvariantCulture) + "s";
        return ms.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    }
}
