using System.Net;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Reliability;

public sealed class TwoPerAddressFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:MaxConnectionsPerAddress=2"];
}

/// <summary>
/// The per-address limit counts the client behind a trusted proxy (X-Forwarded-For from loopback, the default
/// TRUSTED_PROXY_IP), so nginx on the same host does not make every client one address.
/// </summary>
public sealed class ForwardedAddressTests(TwoPerAddressFixture fixture) : IClassFixture<TwoPerAddressFixture>
{
    [Fact]
    public async Task PerAddressLimit_BehindTrustedProxy_CountsForwardedClientAddress()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var streams = new ForwardedSseStreams(fixture.Server);
        Task<HttpStatusCode> ConnectAsync(string forwardedFor) => streams.ConnectAsync(user.Token, forwardedFor);

        var first = await ConnectAsync("203.0.113.7");
        var second = await ConnectAsync("203.0.113.7");
        var third = await ConnectAsync("203.0.113.7");
        var otherClient = await ConnectAsync("198.51.100.9, 127.0.0.1");

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal((HttpStatusCode)429, third);
        Assert.Equal(HttpStatusCode.OK, otherClient);
    }
}
