using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Wirefisher.Engine;

/// <summary>
/// Parses rates and time scales as admins write them. Written by hand: no
/// maintained library parses tc-style rate strings.
///
/// Rates are bytes per second. Byte units are powers of 1024, as in the
/// original tool ("1M" = "1MB" = "1MiB" = 1048576). Bit units are decimal, as
/// in tc ("8Mbit" = "8Mbps" = 8,000,000 bit/s = 1,000,000 B/s).
/// </summary>
public static class RateParser
{
    public const ulong MinRate = 1024;
    /// <summary>
    /// The most the kernel's bucket can hold exactly (1 TiB/s): its cost per byte is
    /// (1e9 &lt;&lt; 16) / rate ns, which above this loses the precision that makes it a limit.
    /// </summary>
    public const ulong MaxRate = 1UL << 40;

    private static readonly Regex RateRx = new(
        @"^\s*(?<n>\d+(\.\d+)?)\s*(?<u>[kmgt]?)(?<kind>i?b?|bit|bps|b/s|ib/s)?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex TimeRx = new(
        @"^\s*(?<n>\d+(\.\d+)?)\s*(?<u>ms|s|m|h)\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Parses "1M", "512K", "1.5MB", "8Mbit", "100Mbps" or "1048576". Throws FormatException.</summary>
    public static ulong ParseRate(string text)
    {
        Match m = RateRx.Match(text ?? "");
        if (!m.Success)
            throw new FormatException($"'{text}' is not a rate. Write bytes per second as a number (1MB, 1048576) or a string such as '512K', '1M', '2G' (powers of 1024) or '8Mbit', '100Mbps' (bits, powers of 1000).");
        double n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        string unit = m.Groups["u"].Value.ToLowerInvariant();
        string kind = m.Groups["kind"].Value.ToLowerInvariant();
        bool bits = kind is "bit" or "bps";
        int power = unit switch { "k" => 1, "m" => 2, "g" => 3, "t" => 4, _ => 0 };
        double factor = Math.Pow(bits ? 1000 : 1024, power);
        double bytes = bits ? n * factor / 8 : n * factor;
        if (bytes >= ulong.MaxValue)
            throw new FormatException($"'{text}' is too large a rate.");
        return (ulong)Math.Round(bytes);
    }

    /// <summary>Parses "500ms", "1s", "2m", "1h", or a TimeSpan string ("00:00:01"). Throws FormatException.</summary>
    public static TimeSpan ParseTimeSpan(string text)
    {
        Match m = TimeRx.Match(text ?? "");
        if (m.Success)
        {
            double n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            string unit = m.Groups["u"].Value.ToLowerInvariant();
            double ticks = unit switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
            // what TimeSpan.FromHours and the rest do, with a FormatException past what a TimeSpan
            // holds instead of their OverflowException, which the callers' checks do not catch
            if (!(n * ticks < long.MaxValue))
                throw new FormatException($"'{text}' is too long a time: at most {Math.Floor(TimeSpan.MaxValue.TotalHours)}h ({TimeSpan.MaxValue.Days} days) can be written, and a limit's time scale is at most {RuleService.MaxTimeScale.TotalHours}h, an -Interval at most 24h.");
            return TimeSpan.FromTicks((long)(n * ticks));
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan ts))
            return ts;
        throw new FormatException($"'{text}' is not a time scale. Write it as '500ms', '1s', '2m' or a TimeSpan.");
    }

    /// <summary>
    /// A rate from whatever PowerShell bound: a number (1MB, 1048576) or a string.
    /// Throws FormatException with a message that says how to write one.
    /// </summary>
    public static ulong RateFrom(object? value)
    {
        object? v = value is System.Management.Automation.PSObject p ? p.BaseObject : value;
        switch (v)
        {
            case string s:
                return ParseRate(s);
            case float or double when !double.IsFinite(Convert.ToDouble(v, CultureInfo.InvariantCulture)) || Math.Abs(Convert.ToDouble(v, CultureInfo.InvariantCulture)) > ulong.MaxValue:
                throw new FormatException($"{v} is not a rate the kernel can hold: give at most {MaxRate} bytes per second (1TB).");
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal:
                decimal d = Convert.ToDecimal(v, CultureInfo.InvariantCulture);
                if (d < 0) throw new FormatException($"A rate cannot be negative ({v}). Give bytes per second, such as 1MB or '8Mbit'.");
                if (d > ulong.MaxValue) throw new FormatException($"{v} is too large a rate.");
                return (ulong)Math.Round(d);
            default:
                throw new FormatException($"'{v}' is not a rate. Give bytes per second as a number (1MB) or a string such as '512K' or '100Mbit'.");
        }
    }

    /// <summary>A time scale from a TimeSpan, a number of seconds, or a string such as "500ms".</summary>
    public static TimeSpan TimeSpanFrom(object? value)
    {
        object? v = value is System.Management.Automation.PSObject p ? p.BaseObject : value;
        return v switch
        {
            TimeSpan t => t,
            string s => ParseTimeSpan(s),
            byte or short or int or long or float or double or decimal => Seconds(Convert.ToDouble(v, CultureInfo.InvariantCulture)),
            _ => throw new FormatException($"'{v}' is not a time scale. Write it as '500ms', '1s', '2m' or a TimeSpan."),
        };
    }

    private static TimeSpan Seconds(double s) =>
        double.IsFinite(s) && Math.Abs(s) < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(s)
            : throw new FormatException($"{s} seconds is not a time scale. Write it as '500ms', '1s', '2m' or a TimeSpan.");

    /// <summary>Formats bytes per second for people: 1048576 -> "1 MiB/s".</summary>
    public static string FormatRate(double bytesPerSecond) => FormatBytes(bytesPerSecond) + "/s";

    /// <summary>Formats a byte count for people: 1536 -> "1.5 KiB".</summary>
    public static string FormatBytes(double bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        int i = 0;
        while (bytes >= 1024 && i < units.Length - 1) { bytes /= 1024; i++; }
        return bytes.ToString(i == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + units[i];
    }
}
