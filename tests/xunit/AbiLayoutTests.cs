using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Wirefisher.Native.Abi;
using Wirefisher.Native.Loader;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>
/// The C# mirrors in Wirefisher.Native/Abi must match bpf/wirefisher.h byte for
/// byte. The C layout is read from the BTF of the built object (bpftool), the
/// C# layout from the runtime; any drift fails here.
/// </summary>
public class AbiLayoutTests
{
    private static readonly Lazy<List<JsonElement>> Btf = new(LoadBtf);

    public static IEnumerable<object[]> Mirrors() =>
        typeof(WfRule).Assembly.GetTypes()
            .Where(t => t.IsValueType && t.GetCustomAttribute<CFieldAttribute>() is not null)
            .Select(t => new object[] { t.Name });

    [Fact]
    public void EveryStructOfTheHeaderHasAMirror()
    {
        string header = File.ReadAllText(Path.Combine(Repo.Root, "bpf", "wirefisher.h"));
        var cStructs = System.Text.RegularExpressions.Regex.Matches(header, @"^struct (wf_\w+) \{", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).OrderBy(s => s).ToList();
        var mirrored = typeof(WfRule).Assembly.GetTypes()
            .Select(t => t.GetCustomAttribute<CFieldAttribute>()?.Name).OfType<string>().OrderBy(s => s).ToList();
        Assert.NotEmpty(cStructs);
        Assert.Equal(cStructs, mirrored);
    }

    /// <summary>Each int constant of AbiConst whose name is a #define of the header (TuplesMax: WF_TUPLES_MAX) has its value.</summary>
    [Fact]
    public void LimitsMatchTheHeadersDefines()
    {
        string header = File.ReadAllText(Path.Combine(Repo.Root, "bpf", "wirefisher.h"));
        var defines = System.Text.RegularExpressions.Regex.Matches(header, @"^#define (WF_\w+)\s+(\d+)\b", System.Text.RegularExpressions.RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value));
        var compared = new List<string>();
        foreach (FieldInfo f in typeof(AbiConst).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(int)))
        {
            string c = "WF_" + System.Text.RegularExpressions.Regex.Replace(f.Name, "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant();
            if (!defines.TryGetValue(c, out long v)) continue;
            Assert.True(v == (int)f.GetRawConstantValue()!, $"AbiConst.{f.Name} is {f.GetRawConstantValue()}, {c} is {v}");
            compared.Add(c);
        }
        Assert.Contains("WF_RULES_MAX", compared);
        Assert.Contains("WF_TUPLES_MAX", compared);
        Assert.Contains("WF_PER_PROCESS_MAX", compared);
    }

    [Theory]
    [MemberData(nameof(Mirrors))]
    public void SizeAndOffsetsMatchTheBtf(string typeName)
    {
        Type t = typeof(WfRule).Assembly.GetTypes().Single(x => x.Name == typeName);
        string cName = t.GetCustomAttribute<CFieldAttribute>()!.Name;
        JsonElement s = Btf.Value.Single(x => x.GetProperty("kind").GetString() == "STRUCT" && x.TryGetProperty("name", out var n) && n.GetString() == cName);

        int size = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
        Assert.Equal(s.GetProperty("size").GetInt32(), size);

        var members = s.GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("bits_offset").GetInt32() / 8);
        var fields = t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.Equal(members.Count, fields.Length);
        foreach (FieldInfo f in fields)
        {
            string c = f.GetCustomAttribute<CFieldAttribute>()?.Name
                ?? throw new Xunit.Sdk.XunitException($"{t.Name}.{f.Name} names no C field");
            Assert.True(members.ContainsKey(c), $"{cName} has no member {c}");
            int offset = (int)Marshal.OffsetOf(t, f.Name);
            Assert.True(members[c] == offset, $"{cName}.{c}: C offset {members[c]}, C# offset {offset}");
        }
    }

    [Fact]
    public void MapAndProgramNamesMatchTheObject()
    {
        var names = Btf.Value.Where(x => x.GetProperty("kind").GetString() is "VAR" or "FUNC")
            .Select(x => x.GetProperty("name").GetString()).ToHashSet();
        foreach (string n in BpfNames.Maps.Concat(BpfNames.CgroupPrograms).Concat(BpfNames.PinnedPrograms).Concat(BpfNames.TracePrograms).Append(BpfNames.ProgIterSeed).Append(BpfNames.MapAbi))
        {
            Assert.Contains(n, names);
            Assert.True(n.Length <= 15, $"{n} is longer than the kernel's 15 characters");
        }
    }

    private static List<JsonElement> LoadBtf()
    {
        string obj = Repo.BpfObject;
        Assert.True(File.Exists(obj), $"{obj} is missing: build first (./build.ps1)");
        var psi = new ProcessStartInfo("bpftool", new[] { "-j", "btf", "dump", "file", obj }) { RedirectStandardOutput = true };
        using Process p = Process.Start(psi)!;
        string json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return JsonDocument.Parse(json).RootElement.GetProperty("types").EnumerateArray().ToList();
    }
}

internal static class Repo
{
    public static string Root
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "dotnet-tools.json"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string BpfObject =>
        Environment.GetEnvironmentVariable("WIREFISHER_BPF_OBJECT") is { Length: > 0 } o ? o
        : Path.Combine(Root, "out", "Wirefisher", BpfNames.ObjectFile);
}
