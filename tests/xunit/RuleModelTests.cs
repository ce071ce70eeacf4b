using System;
using System.Linq;
using System.Text;
using Wirefisher.Engine;
using Wirefisher.Native.Abi;
using Xunit;

namespace Wirefisher.Tests;

/// <summary>The parts of the rule model that need no kernel: matchers, names, the name hash.</summary>
public class RuleModelTests
{
    [Theory]
    [InlineData("10.9.1.2/16", "10.9.0.0/16")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("fd00::1/8", "fd00::/8")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")]
    public void PrefixesAreMaskedAndPrinted(string given, string shown) =>
        Assert.Equal(shown, Prefix.Parse(given).ToString());

    [Theory]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.0/33")]
    [InlineData("fd00::/129")]
    [InlineData("example.com")]
    [InlineData("10.0.0.0/")]
    [InlineData("fe80::1%eth0")]
    [InlineData("0.0.0.0/0")] // any address: the kernel could not tell it from no address given
    public void BadPrefixesSayHowToWriteOne(string given) =>
        Assert.Contains("prefix", Assert.Throws<ArgumentException>(() => Prefix.Parse(given)).Message);

    [Theory]
    [InlineData("443", 443, 443)]
    [InlineData("8000-8100", 8000, 8100)]
    [InlineData(53, 53, 53)]
    [InlineData("0-65535", 0, 65535)]
    public void PortsAndRanges(object given, int lo, int hi) =>
        Assert.Equal(new PortRange((ushort)lo, (ushort)hi), PortRange.Parse(given));

    [Theory]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("100-50")]
    [InlineData("http")]
    [InlineData("1-2-3")]
    public void BadPortsAreRefused(string given) =>
        Assert.Contains("0 to 65535", Assert.Throws<ArgumentException>(() => PortRange.Parse(given)).Message);

    [Theory]
    [InlineData("tcp", 6)]
    [InlineData("UDP", 17)]
    [InlineData("ICMP", 1)]
    [InlineData("132", 132)]
    public void Protocols(string given, byte number) => Assert.Equal(number, TupleMatch.ParseProtocol(given));

    [Fact]
    public void AnUnknownProtocolIsRefused() =>
        Assert.Throws<ArgumentException>(() => TupleMatch.ParseProtocol("SCTPX"));

    [Fact]
    public void KernelMatchersSayTheSameMatchBack()
    {
        var m = new TupleMatch(17, new[] { Prefix.Parse("10.1.0.0/16"), Prefix.Parse("fd00::/8") },
            new[] { Prefix.Parse("10.9.0.0/16"), Prefix.Parse("fd01::1") }, PortRange.Any, PortRange.Parse("53"));
        var k = m.ToKernel(7, AbiConst.DirEgress);
        Assert.Equal(2, k.Count); // v4 x v4 and v6 x v6; the mixed pairs cannot match anything
        Assert.All(k, t => Assert.Equal(7u, t.Rule));
        Assert.Equal(new byte[] { 2, 10 }, k.Select(t => t.Family).ToArray());
        Assert.Equal(m.ToString(), TupleMatch.FromKernel(k).ToString());
        Assert.Equal("UDP local 10.1.0.0/16,fd00::/8 remote 10.9.0.0/16,fd01::1 port 53", m.ToString());
    }

    [Fact]
    public void AddressesOfTwoFamiliesOnlyAreRefused()
    {
        var m = new TupleMatch(0, new[] { Prefix.Parse("10.1.0.0/16") }, new[] { Prefix.Parse("fd00::/8") }, PortRange.Any, PortRange.Any);
        Assert.Throws<ArgumentException>(() => m.ToKernel(1, 0));
    }

    [Fact]
    public void AMatchOfNothingIsRefused() =>
        Assert.Throws<ArgumentException>(() => RuleTarget.ForTuple(new TupleMatch(0, Array.Empty<Prefix>(), Array.Empty<Prefix>(), PortRange.Any, PortRange.Any)));

    [Theory]
    [InlineData("web*")]
    [InlineData("a?b")]
    [InlineData("   ")]
    [InlineData("tab\there")]
    [InlineData("zero\u200bwidth")]
    public void BadNamesAreRefusedSayingWhatIsAllowed(string name) =>
        Assert.Contains("A rule name is", Assert.Throws<ArgumentException>(() => RuleNames.Validate(name)).Message);

    [Fact]
    public void NamesAreWholeCharactersWithin63Bytes()
    {
        string rockets = string.Concat(Enumerable.Repeat("\U0001F680", 31)); // 124 bytes
        Assert.Throws<ArgumentException>(() => RuleNames.Validate(rockets));
        string cut = RuleNames.Cut(rockets);
        Assert.Equal(15, cut.EnumerateRunes().Count());
        Assert.DoesNotContain('\uFFFD', cut);
        RuleNames.Validate(string.Concat(Enumerable.Repeat("界", 21))); // 63 bytes: allowed
        Assert.Throws<ArgumentException>(() => RuleNames.Validate(string.Concat(Enumerable.Repeat("界", 22))));
    }

    [Fact]
    public unsafe void KernelStringsKeepWholeCharacters()
    {
        var r = new WfRule();
        r.SetName(string.Concat(Enumerable.Repeat("界", 40)));
        Assert.Equal(21, r.GetName().Length);
        Assert.Equal(63, Encoding.UTF8.GetByteCount(r.GetName()));
    }

    [Fact]
    public void NameHashFoldsCaseAndKeepsTheKernelsFifteenBytes()
    {
        Assert.Equal(AbiConst.NameHash("firefox"), AbiConst.NameHash("FireFox"));
        Assert.NotEqual(AbiConst.NameHash("firefox"), AbiConst.NameHash("firefo"));
        Assert.Equal(AbiConst.NameHash("gnome-shell-cal"), AbiConst.NameHash("gnome-shell-calendar-server"));
    }

    [Fact]
    public void LongProcessNamesMatchTheirFirstFifteenBytes()
    {
        var t = RuleTarget.ForProcessName("gnome-shell-calendar-server");
        Assert.Equal("gnome-shell-cal", t.Comm);
        Assert.Throws<ArgumentException>(() => RuleTarget.ForProcessName("gnome-shell-calendar*"));
    }

    [Theory]
    [InlineData("fire*", "Firefox", true)]
    [InlineData("fire*", "xfire", false)]
    [InlineData("w?t*3", "WfTraffic-3", true)]
    [InlineData("w?t*3", "WfTraffic-4", false)]
    [InlineData(@"a\b*", @"a\bc", true)] // a backslash is a plain character, as in the kernel's glob
    [InlineData(@"a\b*", "ab", false)]
    [InlineData("firefox", "FireFox", true)]
    public void NamePatternsMatchRunningProcessesAsTheKernelDoes(string pattern, string comm, bool matches)
    {
        // the shaper watcher places name rules with this, outside PowerShell (no WildcardPattern there)
        var t = RuleTarget.ForProcessName(pattern);
        Assert.Equal(matches, t.Matches(new ProcessScan.Entry(1, comm, 0, null, "/")));
    }
}
