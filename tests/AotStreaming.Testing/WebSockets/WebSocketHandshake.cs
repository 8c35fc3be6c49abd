using System.Security.Cryptography;
using System.Text;

namespace AotStreaming.Testing.WebSockets;

/// <summary>
/// The HTTP/1.1 upgrade of RFC 6455 §4.1, written and checked by hand: it runs once per client, so it may use
/// strings; what matters is that a client (a test's, the load tool's) only counts as connected when the server
/// really accepted the upgrade.
/// </summary>
public static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes, base64.</summary>
    public static string CreateKey()
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        return Convert.ToBase64String(nonce);
    }

    /// <summary>The upgrade request; <paramref name="extraHeaders"/> are whole header lines, each ending in CRLF.</summary>
    public static byte[] BuildRequest(string host, string pathAndQuery, string key, string extraHeaders = "") => Encoding.ASCII.GetBytes(
        $"GET {pathAndQuery} HTTP/1.1\r\n" +
        $"Host: {host}\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {key}\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        extraHeaders +
        "\r\n");

    /// <summary>The Sec-WebSocket-Accept a server must answer <paramref name="key"/> with.</summary>
    // SHA-1 is what RFC 6455 §4.2.2 prescribes; it proves the server read the key, it protects nothing.
#pragma warning disable CA5350
    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350

    /// <summary>Length of the response head including its blank line, or -1 while it is incomplete.</summary>
    public static int FindHeadLength(ReadOnlySpan<byte> received)
    {
        var index = received.IndexOf(HeaderEnd);
        return index < 0 ? -1 : index + HeaderEnd.Length;
    }

    /// <summary>Null when <paramref name="head"/> accepts the upgrade for <paramref name="key"/>, else why not.</summary>
    public static string? Validate(ReadOnlySpan<byte> head, string key)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var status = lines[0];
        if (!status.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            return $"handshake refused: {status}";
        }

        string? upgrade = null, connection = null, accept = null;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line.AsSpan(0, colon).Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = value;
            }
            else if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
        }

        if (!string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
        {
            return $"handshake: Upgrade header is '{upgrade}'";
        }

        // Connection is a token list ("Upgrade" or e.g. "keep-alive, Upgrade").
        if (connection is null || !connection.Split(',').Any(t => t.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase)))
        {
            return $"handshake: Connection header is '{connection}'";
        }

        return accept == ExpectedAccept(key) ? null : $"handshake: Sec-WebSocket-Accept '{accept}' does not match the key";
    }
}
