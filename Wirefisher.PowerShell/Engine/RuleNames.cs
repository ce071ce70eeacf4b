using System;
using System.Globalization;
using System.Linq;
using System.Text;
using Wirefisher.Native.Abi;

namespace Wirefisher.Engine;

/// <summary>What a rule name may be: whole characters within the kernel's 63 bytes, no wildcards, no control characters.</summary>
public static class RuleNames
{
    public const int MaxBytes = AbiConst.NameLen - 1;
    private const string Wildcards = "*?[]`";

    /// <summary>Throws ArgumentException, saying what is allowed, for a name that cannot be a rule name.</summary>
    public static void Validate(string name)
    {
        const string allowed = "A rule name is 1 to 63 bytes of UTF-8 text, not only spaces, without * ? [ ] ` or control characters.";
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException($"The rule name is empty or only spaces. {allowed}");
        if (name.IndexOfAny(Wildcards.ToCharArray()) >= 0)
            throw new ArgumentException($"The rule name '{name}' has a wildcard character, so -Name could not find it alone. {allowed}");
        if (name.Any(char.IsControl) || name.EnumerateRunes().Any(r => Rune.GetUnicodeCategory(r) is UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate))
            throw new ArgumentException($"The rule name has a control or invisible character. {allowed}");
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
            throw new ArgumentException($"The rule name is {bytes} bytes of UTF-8; the kernel keeps {MaxBytes}. {allowed}");
    }

    /// <summary>A derived name cut to MaxBytes of whole characters.</summary>
    public static string Cut(string name)
    {
        var sb = new StringBuilder();
        int bytes = 0;
        foreach (Rune r in name.EnumerateRunes())
        {
            if (bytes + r.Utf8SequenceLength > MaxBytes) break;
            bytes += r.Utf8SequenceLength;
            sb.Append(r.ToString());
        }
        return sb.ToString();
    }
}
