using Microsoft.AspNetCore.Http;

namespace AotStreaming.Auth;

/// <summary>
/// Token precedence of reference §4.1: a non-empty <c>Authorization</c> header (with exactly <c>"Bearer "</c>
/// stripped, case-sensitive), else the <c>access_token</c> query parameter, else <c>Sec-WebSocket-Protocol</c> as sent.
/// </summary>
internal static class TokenExtractor
{
    public static string? Extract(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            return authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : authorization;
        }

        var query = request.Query["access_token"];
        if (query.Count > 0 && !string.IsNullOrEmpty(query[0]))
        {
            return query[0];
        }

        var protocol = request.Headers.SecWebSocketProtocol.ToString();
        return protocol.Length > 0 ? protocol : null;
    }
}
