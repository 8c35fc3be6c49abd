using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace AotStreaming.Endpoints;

/// <summary>
/// The answers to an upgrade taken below Kestrel's HTTP layer (<see cref="ConnectionUpgrade"/>), as whole HTTP/1.1
/// responses: the same status lines and headers Kestrel writes for <see cref="WebSocketEndpoint.HandleAsync"/>
/// (including its <c>Date</c>), so a client cannot tell which path answered.
/// </summary>
internal static class UpgradeResponses
{
    // RFC 6455 §1.3: the key's accept value is the SHA-1 of the key and this GUID, in base64.
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static byte[] SwitchingProtocols(string requestId, string key, string? subprotocol)
    {
#pragma warning disable CA5350 // SHA-1 is what RFC 6455 specifies here: a handshake check, not a security measure.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
        var response = new StringBuilder(256)
            .Append("HTTP/1.1 101 Switching Protocols\r\n")
            .Append("Connection: Upgrade\r\n");
        AppendDate(response)
            .Append("Upgrade: websocket\r\n")
            .Append("Sec-WebSocket-Accept: ").Append(accept).Append("\r\n");
        if (subprotocol is not null)
        {
            response.Append("Sec-WebSocket-Protocol: ").Append(subprotocol).Append("\r\n");
        }

        response.Append("X-Request-Id: ").Append(requestId).Append("\r\n\r\n");
        return Encoding.ASCII.GetBytes(response.ToString());
    }

    /// <summary>
    /// A refusal, then the connection closes: an upgrade rejection (<see cref="HttpResponses.RejectUpgrade"/>: empty
    /// body, <c>X-Error-Message</c>) or one of ws' handshake refusals (<see cref="HttpResponses.RejectHandshakeAsync"/>).
    /// </summary>
    public static byte[] Refusal(string requestId, int status, string message, WebSocketHandshake.Rejection? handshake)
    {
        var body = handshake is null ? "" : handshake.Reason;
        var response = new StringBuilder(256)
            .Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(ReasonPhrases.GetReasonPhrase(status)).Append("\r\n")
            .Append("Connection: close\r\n")
            .Append("Content-Type: ").Append(handshake is null ? "text/plain" : "text/html").Append("\r\n");
        AppendDate(response);
        if (handshake is null)
        {
            response.Append("X-Error-Message: ").Append(message).Append("\r\n");
        }
        else if (handshake.NamesVersion)
        {
            response.Append("Sec-WebSocket-Version: ").Append(WebSocketHandshake.SupportedVersion).Append("\r\n");
        }

        response.Append("X-Request-Id: ").Append(requestId).Append("\r\n")
            .Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n")
            .Append(body);
        return Encoding.UTF8.GetBytes(response.ToString());
    }

    private static StringBuilder AppendDate(StringBuilder response) =>
        response.Append("Date: ").Append(DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)).Append("\r\n");
}
