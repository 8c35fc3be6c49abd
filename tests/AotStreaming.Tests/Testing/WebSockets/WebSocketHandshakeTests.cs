using System.Text;

namespace AotStreaming.Testing.WebSockets;

public sealed class WebSocketHandshakeTests
{
    // The worked example of RFC 6455 §1.3.
    private const string RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string RfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    [Fact]
    public void ExpectedAccept_RfcExample_Matches()
    {
        Assert.Equal(RfcAccept, WebSocketHandshake.ExpectedAccept(RfcKey));
    }

    [Fact]
    public void CreateKey_IsSixteenRandomBytes()
    {
        var key = WebSocketHandshake.CreateKey();

        Assert.Equal(16, Convert.FromBase64String(key).Length);
        Assert.NotEqual(key, WebSocketHandshake.CreateKey());
    }

    [Fact]
    public void BuildRequest_HasTheUpgradeHeaders()
    {
        var request = Encoding.ASCII.GetString(WebSocketHandshake.BuildRequest("127.0.0.1:4000", "/api/v1/streaming?stream=public", RfcKey));

        Assert.StartsWith("GET /api/v1/streaming?stream=public HTTP/1.1\r\nHost: 127.0.0.1:4000\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", request, StringComparison.Ordinal);
        Assert.Contains($"\r\nSec-WebSocket-Key: {RfcKey}\r\nSec-WebSocket-Version: 13\r\n", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", request, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptingResponse_ReturnsNull()
    {
        var head = Head("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "upgrade: WebSocket", $"Sec-WebSocket-Accept: {RfcAccept}");

        Assert.Null(WebSocketHandshake.Validate(head, RfcKey));
    }

    [Fact]
    public void Validate_WrongAccept_ReturnsError()
    {
        var head = Head("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Accept: AAAA");

        Assert.Contains("Sec-WebSocket-Accept", WebSocketHandshake.Validate(head, RfcKey), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Unauthorized_ReturnsStatusLine()
    {
        var head = Head("HTTP/1.1 401 Unauthorized", "Content-Length: 0");

        Assert.Equal("handshake refused: HTTP/1.1 401 Unauthorized", WebSocketHandshake.Validate(head, RfcKey));
    }

    [Fact]
    public void FindHeadLength_IncompleteHead_IsMinusOne()
    {
        Assert.Equal(-1, WebSocketHandshake.FindHeadLength("HTTP/1.1 101 Switching Protocols\r\n"u8));
        Assert.Equal(42, WebSocketHandshake.FindHeadLength("HTTP/1.1 101 Switching Protocols\r\nA: b\r\n\r\n\x81"u8));
    }

    private static byte[] Head(params string[] lines) => Encoding.ASCII.GetBytes(string.Join("\r\n", lines) + "\r\n\r\n");
}
