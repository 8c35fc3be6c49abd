using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>Subprotocol lists as ws' <c>subprotocol.parse</c> reads them; routes as Express matches them.</summary>
public sealed class WebSocketHandshakeTests
{
    [Theory]
    [InlineData("a", new[] { "a" })]
    [InlineData("a,b", new[] { "a", "b" })]
    [InlineData("a, b ,\tc", new[] { "a", "b", "c" })]
    [InlineData("tok_EN-123.x~", new[] { "tok_EN-123.x~" })]
    [InlineData("!#$%&'*+-.^_`|~", new[] { "!#$%&'*+-.^_`|~" })]
    public void TryParseSubprotocols_TokenList_Parsed(string header, string[] expected)
    {
        var protocols = new List<string>();

        Assert.True(WebSocketHandshake.TryParseSubprotocols(header, protocols));
        Assert.Equal(expected, protocols);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" a")]
    [InlineData("a b")]
    [InlineData("x\"y")]
    [InlineData("a/b")]
    [InlineData("a;b")]
    [InlineData("a,,b")]
    [InlineData(",a")]
    [InlineData("a,")]
    [InlineData("a ")]
    [InlineData("a, a")]
    [InlineData("a(b)")]
    [InlineData("caf\u00e9")]
    public void TryParseSubprotocols_NotATokenList_Refused(string header)
    {
        Assert.False(WebSocketHandshake.TryParseSubprotocols(header, []));
    }

    [Theory]
    [InlineData("/api/v1/streaming/health", true)]
    [InlineData("/api/v1/streaming/health/", true)]
    [InlineData("/API/v1/Streaming/HEALTH/", true)]
    [InlineData("/api/v1/streaming/health//", false)]
    [InlineData("/api/v1/streaming/healthz", false)]
    [InlineData("/api/v1/streaming/health/x", false)]
    [InlineData("/api/v1/streaming/healt", false)]
    [InlineData(null, false)]
    public void IsRoute_ExpressNonStrictCaseInsensitive(string? path, bool matches)
    {
        Assert.Equal(matches, StreamingRequestHandler.IsRoute(path, "/api/v1/streaming/health"));
    }
}
