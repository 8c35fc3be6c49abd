using System.Text;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>
/// The first request of a connection, parsed only when it is plain: an HTTP/1.1 request line in origin form, header
/// lines of visible ASCII, no body, all of it in one contiguous buffer. Anything else (a partial head, obsolete line
/// folding, bare LF, non-ASCII bytes, a body, more than Kestrel's limits) is <c>null</c>, and the connection goes to
/// Kestrel's HTTP layer as it arrived, which answers it exactly as before; so this parser only ever has to be right
/// about what it accepts, never about how to refuse.
/// </summary>
internal sealed class RequestHead
{
    // Kestrel's defaults (MaxRequestLineSize, MaxRequestHeaderCount); our MaxRequestHeadersTotalSize is larger.
    private const int MaxRequestLine = 8 * 1024;
    private const int MaxHeaderCount = 100;

    private RequestHead(string method, string target, HeaderDictionary headers, int length)
    {
        Method = method;
        Target = target;
        Headers = headers;
        Length = length;
    }

    public string Method { get; }

    /// <summary>The request target as sent (origin form: a path and, perhaps, <c>?query</c>).</summary>
    public string Target { get; }

    public HeaderDictionary Headers { get; }

    /// <summary>Bytes of the head, the blank line included; what follows (an early first frame) is not ours.</summary>
    public int Length { get; }

    public string Path => Target.IndexOf('?') is var q and >= 0 ? Target[..q] : Target;

    public string QueryString => Target.IndexOf('?') is var q and >= 0 ? Target[q..] : "";

    public static RequestHead? TryParse(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return null;
        }

        var lines = bytes[..(end + 2)];
        var lineEnd = lines.IndexOf("\r\n"u8);
        if (lineEnd > MaxRequestLine || !TryParseRequestLine(lines[..lineEnd], out var method, out var target))
        {
            return null;
        }

        var headers = new HeaderDictionary();
        var count = 0;
        lines = lines[(lineEnd + 2)..];
        while (!lines.IsEmpty)
        {
            lineEnd = lines.IndexOf("\r\n"u8);
            if (++count > MaxHeaderCount || !TryParseHeader(lines[..lineEnd], headers))
            {
                return null;
            }

            lines = lines[(lineEnd + 2)..];
        }

        // A body would follow the head; Kestrel decides what a request with one means.
        if (headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding") || headers["Host"].Count != 1)
        {
            return null;
        }

        return new RequestHead(method, target, headers, end + 4);
    }

    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target)
    {
        method = target = "";
        var space = line.IndexOf((byte)' ');
        if (space <= 0 || !IsToken(line[..space]))
        {
            return false;
        }

        var rest = line[(space + 1)..];
        var second = rest.IndexOf((byte)' ');
        if (second <= 0 || rest[0] != (byte)'/' || !rest[(second + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        foreach (var b in rest[..second])
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                return false;
            }
        }

        method = Encoding.ASCII.GetString(line[..space]);
        target = Encoding.ASCII.GetString(rest[..second]);
        return true;
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> line, HeaderDictionary headers)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            return false;
        }

        var value = line[(colon + 1)..];
        foreach (var b in value)
        {
            if (b is not ((>= 0x20 and < 0x7F) or (byte)'\t'))
            {
                return false;
            }
        }

        value = value.Trim(" \t"u8);
        headers.Append(Encoding.ASCII.GetString(line[..colon]), Encoding.ASCII.GetString(value));
        return true;
    }

    // tchar of RFC 9110 §5.6.2.
    private static bool IsToken(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~'))
            {
                return false;
            }
        }

        return true;
    }
}
