using System.Net.Sockets;
using System.Text;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// One HTTP request written byte for byte on a fresh TCP connection, and everything the server sends until it closes
/// the connection: for requests no real client library would send (a POST upgrade, a broken handshake).
/// </summary>
internal sealed record RawHttpResponse(string StatusLine, IReadOnlyList<(string Name, string Value)> Headers, string Body)
{
    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).SingleOrDefault();

    public static async Task<RawHttpResponse> SendAsync(StreamingServer server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port).DefaultTimeout();
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).DefaultTimeout();

        // Read to the end: a response that leaves the connection open fails here with a timeout.
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).DefaultTimeout()) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the response is an end too.
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "no complete response head: " + text);
        var lines = text[..split].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0], p[1].Trim())).ToList();
        return new RawHttpResponse(lines[0], headers, text[(split + 4)..]);
    }

    /// <summary>A WebSocket upgrade request authenticated by query, with the given extra or replaced header lines.</summary>
    public static string Upgrade(string token, string method = "GET", string upgrade = "websocket", string? key = "dGhlIHNhbXBsZSBub25jZQ==", string? version = "13", string? extraHeaders = null)
    {
        var builder = new StringBuilder();
        builder.Append($"{method} /api/v1/streaming?access_token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        builder.Append($"Upgrade: {upgrade}\r\nConnection: Upgrade\r\n");
        if (key is not null)
        {
            builder.Append($"Sec-WebSocket-Key: {key}\r\n");
        }

        if (version is not null)
        {
            builder.Append($"Sec-WebSocket-Version: {version}\r\n");
        }

        builder.Append(extraHeaders);
        builder.Append("\r\n");
        return builder.ToString();
    }
}
