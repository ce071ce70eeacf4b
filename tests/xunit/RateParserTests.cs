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
    [InlineData(1048576, "1 MiB/s")]
    [InlineData(1572864, "1.5 MiB/s")]
    [InlineData(512, "512 B/s")]
    public void FormatsRates(double rate, string expected) => Assert.Equal(expected, RateParser.FormatRate(rate));
}
