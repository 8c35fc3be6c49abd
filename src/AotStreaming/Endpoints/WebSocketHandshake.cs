using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AotStreaming.Endpoints;

/// <summary>
/// The opening handshake checks upstream's <c>ws</c> library (v8, <c>WebSocketServer.handleUpgrade</c>) makes once
/// Mastodon has authenticated the request, in its order, with its statuses and reason texts (reference §3.1,
/// RFC 6455 §4.2.1). One difference: ws also accepts <c>Sec-WebSocket-Version: 8</c> (a 2011 draft no client sends
/// any more) and names <c>13, 8</c>; the runtime WebSocket here speaks 13 only, so 13 is what is named.
/// </summary>
internal static partial class WebSocketHandshake
{
    public const string SupportedVersion = "13";

    /// <summary>A refused handshake: status, reason body, and whether the response names the supported version.</summary>
    internal sealed record Rejection(int Status, string Reason, bool NamesVersion = false);

    /// <summary>
    /// Node hands a request to the upgrade handler (rather than to Express) when it carries an <c>Upgrade</c> header
    /// and <c>upgrade</c> among the <c>Connection</c> tokens; anything else is an ordinary HTTP request.
    /// </summary>
    public static bool IsUpgradeRequest(HttpRequest request)
    {
        if (request.Headers.Upgrade.Count == 0)
        {
            return false;
        }

        foreach (var value in request.Headers.Connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Null when ws would complete the handshake; <paramref name="subprotocol"/> is then the one to echo (the first offered).</summary>
    public static Rejection? Validate(HttpRequest request, out string? subprotocol)
    {
        subprotocol = null;
        if (!HttpMethods.IsGet(request.Method))
        {
            return new Rejection(405, "Invalid HTTP method");
        }

        // Repeated header lines reach ws joined with ", " (Node's rule for these headers), which then fails these checks.
        if (!Joined(request.Headers.Upgrade).Equals("websocket", StringComparison.OrdinalIgnoreCase))
        {
            return new Rejection(400, "Invalid Upgrade header");
        }

        if (!KeyPattern().IsMatch(Joined(request.Headers.SecWebSocketKey)))
        {
            return new Rejection(400, "Missing or invalid Sec-WebSocket-Key header");
        }

        if (Joined(request.Headers.SecWebSocketVersion) != SupportedVersion)
        {
            return new Rejection(400, "Missing or invalid Sec-WebSocket-Version header", NamesVersion: true);
        }

        if (request.Headers.SecWebSocketProtocol.Count > 0)
        {
            var protocols = new List<string>();
            if (!TryParseSubprotocols(Joined(request.Headers.SecWebSocketProtocol), protocols))
            {
                return new Rejection(400, "Invalid Sec-WebSocket-Protocol header");
            }

            subprotocol = protocols[0];
        }

        return null;
    }

    /// <summary>
    /// ws' <c>subprotocol.parse</c>: a comma-separated list of RFC 7230 tokens, with spaces or tabs allowed around
    /// the commas; an empty element, a character outside a token, or a repeated protocol is an error.
    /// </summary>
    public static bool TryParseSubprotocols(string header, List<string> protocols)
    {
        var start = -1;
        var end = -1;
        for (var i = 0; i < header.Length; i++)
        {
            var c = header[i];
            if (end == -1 && IsTokenChar(c))
            {
                if (start == -1)
                {
                    start = i;
                }
            }
            else if (i != 0 && c is ' ' or '\t')
            {
                if (end == -1 && start != -1)
                {
                    end = i;
                }
            }
            else if (c == ',')
            {
                if (start == -1 || !TryAdd(header[start..(end == -1 ? i : end)]))
                {
                    return false;
                }

                start = end = -1;
            }
            else
            {
                return false;
            }
        }

        return start != -1 && end == -1 && TryAdd(header[start..]);

        bool TryAdd(string protocol)
        {
            if (protocols.Contains(protocol))
            {
                return false;
            }

            protocols.Add(protocol);
            return true;
        }
    }

    // tchar of RFC 7230 §3.2.6, the table ws uses.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static string Joined(StringValues values) => values.Count switch
    {
        0 => "",
        1 => values[0] ?? "",
        _ => string.Join(", ", values.ToArray()),
    };

    // ws' keyRegex: 16 bytes in base64 are 22 characters and "==".
    [GeneratedRegex("^[+/0-9A-Za-z]{22}==$")]
    private static partial Regex KeyPattern();
}
