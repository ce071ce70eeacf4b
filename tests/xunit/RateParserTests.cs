using System;
using Wirefisher.Engine;
using Xunit;

namespace Wirefisher.Tests;

public class RateParserTests
{
    [Theory]
    [InlineData("1M", 1048576UL)]
    [InlineData("1MB", 1048576UL)]
    [InlineData("1MiB", 1048576UL)]
    [InlineData("512K", 524288UL)]
    [InlineData("512k", 524288UL)]
    [InlineData("2G", 2147483648UL)]
    [InlineData("1.5M", 1572864UL)]
    [InlineData("100M", 104857600UL)]
    [InlineData("8Mbit", 1000000UL)]
    [InlineData("100Mbps", 12500000UL)]
    [InlineData("1Gbit", 125000000UL)]
    [InlineData("64kbit", 8000UL)]
    [InlineData("1048576", 1048576UL)]
    [InlineData(" 10 M ", 10485760UL)]
    public void ParsesRates(string text, ulong expected) => Assert.Equal(expected, RateParser.ParseRate(text));

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("-1M")]
    [InlineData("1X")]
    [InlineData("M")]
    [InlineData("1 2M")]
    public void RejectsNonRates(string text) => Assert.Throws<FormatException>(() => RateParser.ParseRate(text));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1s", 1000)]
    [InlineData("2m", 120000)]
    [InlineData("1.5s", 1500)]
    [InlineData("00:00:02", 2000)]
    public void ParsesTimeScales(string text, double ms) => Assert.Equal(TimeSpan.FromMilliseconds(ms), RateParser.ParseTimeSpan(text));

    [Fact]
    public void FiveHundredMillisecondsIsNotZero() // the original parsed "500ms" as 0 s
        => Assert.True(RateParser.ParseTimeSpan("500ms") > TimeSpan.Zero);

    [Theory]
    [InlineData("soon")]
    [InlineData("5x")]
    public void RejectsNonTimeScales(string text) => Assert.Throws<FormatException>(() => RateParser.ParseTimeSpan(text));

    [Theory]
    [InlineData("300000000h")]
    [InlineData("256204779h")]          // the first whole hour past TimeSpan.MaxValue
    [InlineData("9999999999999999m")]
    [InlineData("922337203686s")]
    [InlineData("922337203685478ms")]
    public void RejectsTimesPastWhatATimeSpanHolds(string text) // FormatException, which callers turn into their error, not OverflowException
    {
        var e = Assert.Throws<FormatException>(() => RateParser.ParseTimeSpan(text));
        Assert.Contains("256204778h", e.Message);
        Assert.Contains(text, e.Message);
        Assert.Throws<FormatException>(() => RateParser.TimeSpanFrom(text));
    }

    [Fact]
    public void RejectsTimesOfMoreDigitsThanADoubleHolds() =>
        Assert.Throws<FormatException>(() => RateParser.ParseTimeSpan(new string('9', 400) + "s")); // parses as infinity

    [Fact]
    public void TakesTheLongestWholeHourATimeSpanHolds() =>
        Assert.Equal(TimeSpan.FromHours(256204778), RateParser.ParseTimeSpan("256204778h"));

    [Theory]
    [InlineData(1048576, "1 MiB/s")]
    [InlineData(1572864, "1.5 MiB/s")]
    [InlineData(512, "512 B/s")]
    public void FormatsRates(double rate, string expected) => Assert.Equal(expected, RateParser.FormatRate(rate));
}

public class RateFromTests
{
    [Fact]
    public void TakesPowerShellNumbers()
    {
        Assert.Equal(1048576UL, RateParser.RateFrom(1048576));        // 1MB is an Int32
        Assert.Equal(1048576UL, RateParser.RateFrom(1048576L));
        Assert.Equal(1572864UL, RateParser.RateFrom(1.5 * 1048576));  // 1.5MB is a Double
        Assert.Equal(1048576UL, RateParser.RateFrom(new System.Management.Automation.PSObject("1M")));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-0.5)]
    public void RefusesNegativeRates(double v) => Assert.Throws<FormatException>(() => RateParser.RateFrom(v));

    [Fact]
    public void RefusesOtherTypes() => Assert.Throws<FormatException>(() => RateParser.RateFrom(new object()));

    [Fact]
    public void TimeScalesFromNumbersAndStrings()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), RateParser.TimeSpanFrom(2));
        Assert.Equal(TimeSpan.FromMilliseconds(500), RateParser.TimeSpanFrom("500ms"));
        Assert.Equal(TimeSpan.FromMinutes(1), RateParser.TimeSpanFrom(TimeSpan.FromMinutes(1)));
        Assert.Throws<FormatException>(() => RateParser.TimeSpanFrom("later"));
    }
}

public class PacingTests
{
    [Theory]
    [InlineData(1048576UL, 0, 1048576U)]
    [InlineData(1048576UL, 1, 1048576U)]
    [InlineData(1048576UL, 4, 262144U)]
    [InlineData(12_500_000_000UL, 1, 0U)]   // beyond what SO_MAX_PACING_RATE (int) holds: no pacing
    public void SharesTheRateAmongConnections(ulong rate, int conns, uint expected) =>
        Assert.Equal(expected, Pacing.PerSocket(rate, conns));
}
