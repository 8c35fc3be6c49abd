using System.Net;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>One connection per address, and all three of Express' named ranges trusted (mixed separators, as upstream splits them).</summary>
public sealed class NamedRangesFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:MaxConnectionsPerAddress=1"];

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["TRUSTED_PROXY_IP"] = "loopback uniquelocal, linklocal",
    };
}

/// <summary>One connection per address, <c>TRUSTED_PROXY_IP</c> unset: Mastodon's <c>loopback,uniquelocal</c>.</summary>
public sealed class DefaultTrustFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:MaxConnectionsPerAddress=1"];
}

/// <summary>
/// Issue 10 item 16 as reported: LAN clients of a home server (unique-local) behind nginx on loopback, with the default
/// trust, are each their own address, not all the proxy's.
/// </summary>
public sealed class DefaultTrustAddressTests(DefaultTrustFixture fixture) : IClassFixture<DefaultTrustFixture>
{
    [Fact]
    public async Task LanClientsBehindLocalNginx_EachCountedOnTheirOwn_Issue10_16()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var streams = new ForwardedSseStreams(fixture.Server);
        Task<HttpStatusCode> ConnectAsync(string forwardedFor) => streams.ConnectAsync(user.Token, forwardedFor);

        var first = await ConnectAsync("192.168.1.10");
        var second = await ConnectAsync("192.168.1.11");
        var ipv6 = await ConnectAsync("fd00::10");
        var firstAgain = await ConnectAsync("192.168.1.10");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal(HttpStatusCode.OK, ipv6);
        Assert.Equal((HttpStatusCode)429, firstAgain);
    }
}

/// <summary>
/// Issue 10 item 16: the per-address limit counts the address Express' proxy-addr computes: named ranges expanded, and
/// the furthest (left-most) address when every hop is trusted. Observed through the limit of one connection per address.
/// </summary>
public sealed class TrustedProxyAddressTests(NamedRangesFixture fixture) : IClassFixture<NamedRangesFixture>, IDisposable
{
    private readonly ForwardedSseStreams _streams = new(fixture.Server);

    [Theory]
    [InlineData("198.51.100.1, 169.254.7.1", "198.51.100.1, 169.254.7.2")]
    [InlineData("198.51.100.2, 10.1.1.1", "198.51.100.2,10.1.1.2")]
    [InlineData("198.51.100.3, 192.168.1.1", "198.51.100.3, 172.16.5.5")]
    [InlineData("2001:db8::3, fd00::1", "2001:db8::3, fe80::1")]
    public async Task NamedRanges_ProxiesInEachRange_SkippedToTheSameClient_Issue10_16(string first, string second)
    {
        var user = await fixture.Database.CreateUserAsync();

        var admitted = await ConnectAsync(user.Token, first);
        var sameClient = await ConnectAsync(user.Token, second);

        Assert.Equal(HttpStatusCode.OK, admitted);
        Assert.Equal((HttpStatusCode)429, sameClient);
    }

    [Theory]
    [InlineData("10.9.0.1", "10.9.0.2")]
    [InlineData("127.0.0.5", "127.0.0.6")]
    [InlineData("192.168.20.1, 10.0.0.1", "192.168.20.2, 10.0.0.1")]
    [InlineData("169.254.9.1", "169.254.9.2")]
    public async Task EveryHopTrusted_LeftMostAddressCounts_Issue10_16(string first, string second)
    {
        var user = await fixture.Database.CreateUserAsync();

        var lanClient = await ConnectAsync(user.Token, first);
        var otherLanClient = await ConnectAsync(user.Token, second);
        var lanClientAgain = await ConnectAsync(user.Token, first);

        Assert.Equal(HttpStatusCode.OK, lanClient);
        Assert.Equal(HttpStatusCode.OK, otherLanClient);
        Assert.Equal((HttpStatusCode)429, lanClientAgain);
    }

    private Task<HttpStatusCode> ConnectAsync(string token, string forwardedFor) => _streams.ConnectAsync(token, forwardedFor);

    public void Dispose() => _streams.Dispose();
}
