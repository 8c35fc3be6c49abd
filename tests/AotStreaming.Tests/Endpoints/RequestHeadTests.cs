using System.Text;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// What <see cref="RequestHead"/> takes (a plain HTTP/1.1 head) and what it leaves to Kestrel (null): it only has to
/// be right about what it accepts.
/// </summary>
public sealed class RequestHeadTests
{
    private const string Upgrade =
        "GET /api/v1/streaming?stream=user&access_token=t%20k HTTP/1.1\r\n" +
        "Host: example.com\r\n" +
        "Connection: Upgrade\r\n" +
        "Upgrade: websocket\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "X-Forwarded-For: 10.0.0.1\r\n" +
        "X-Forwarded-For:\t10.0.0.2 \r\n" +
        "\r\n";

    private static RequestHead? Parse(string head) => RequestHead.TryParse(Encoding.Latin1.GetBytes(head));

    [Fact]
    public void TryParse_PlainUpgrade_MethodTargetHeadersAndLength()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes(Upgrade), 0x81, 0x80, .. "early frame"u8];

        var head = RequestHead.TryParse(bytes);

        Assert.NotNull(head);
        Assert.Equal("GET", head.Method);
        Assert.Equal("/api/v1/streaming", head.Path);
        Assert.Equal("?stream=user&access_token=t%20k", head.QueryString);
        Assert.Equal(Upgrade.Length, head.Length);
        Assert.Equal("websocket", head.Headers["upgrade"].ToString());
        // Repeated lines are kept in order, trimmed of spaces and tabs, as Kestrel presents them.
        Assert.Equal(2, head.Headers["X-Forwarded-For"].Count);
        Assert.Equal("10.0.0.1,10.0.0.2", head.Headers["X-Forwarded-For"].ToString());
    }

    [Fact]
    public void TryParse_TargetWithoutQuery_EmptyQueryString()
    {
        var head = Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.NotNull(head);
        Assert.Equal("/", head.Path);
        Assert.Equal("", head.QueryString);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n")] // the head has not ended yet
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n")]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n")] // absolute form
    [InlineData("GET * HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")] // no Host
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n")] // obsolete line folding
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Bare: a\nb\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Name : a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n")]
    public void TryParse_AnythingUnusual_LeftToKestrel(string head) => Assert.Null(Parse(head));

    [Fact]
    public void TryParse_MoreThanKestrelsLimits_LeftToKestrel()
    {
        Assert.Null(Parse($"GET /{new string('a', 8 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n"));
        var headers = string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n"));
        Assert.Null(Parse($"GET / HTTP/1.1\r\nHost: a\r\n{headers}\r\n"));
        Assert.NotNull(Parse($"GET / HTTP/1.1\r\nHost: a\r\n{headers[..^"X-99: v\r\n".Length]}\r\n"));
    }

    [Fact]
    public void SwitchingProtocols_AcceptValueOfRfc6455Example_AndEchoedProtocol()
    {
        var response = Encoding.ASCII.GetString(UpgradeResponses.SwitchingProtocols("rid", "dGhlIHNhbXBsZSBub25jZQ==", "tok"));

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Protocol: tok\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Request-Id: rid\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public void Refusal_UpgradeRejection_EmptyBodyWithErrorMessage()
    {
        var response = Encoding.ASCII.GetString(UpgradeResponses.Refusal("rid", 401, "Invalid access token", null));

        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Error-Message: Invalid access token\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\nContent-Length: 0\r\n\r\n", response, StringComparison.Ordinal);
    }
}
