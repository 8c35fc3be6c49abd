using System.Net;
using AotStreaming.Configuration;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>
/// The client's address for per-address limits, computed as Express' <c>req.ip</c> (proxy-addr): walk from the peer
/// towards the left of <c>X-Forwarded-For</c> while the address is a trusted proxy (<see cref="TrustedProxies"/>);
/// the first untrusted one is the client, and when all are trusted, the furthest (left-most) one is.
/// </summary>
internal sealed class ClientAddress(MastodonSettings settings)
{
    private readonly TrustedProxies _trusted = new(settings.TrustedProxies);

    public string Of(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null)
        {
            return "local";
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return Resolve(_trusted, remote, context.Request.Headers["X-Forwarded-For"].ToString());
    }

    /// <summary>The pure part of <see cref="Of"/>: the peer address and the whole <c>X-Forwarded-For</c> value.</summary>
    public static string Resolve(TrustedProxies trusted, IPAddress remote, string forwardedFor)
    {
        if (!trusted.IsTrusted(remote))
        {
            return remote.ToString();
        }

        // The forwarded package splits on commas and skips the spaces around entries; empty entries are dropped.
        var hops = forwardedFor.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            // Not an address: proxy-addr trusts it not, so it is the client (as written).
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                return hops[i];
            }

            if (i == 0 || !trusted.IsTrusted(hop))
            {
                return (hop.IsIPv4MappedToIPv6 ? hop.MapToIPv4() : hop).ToString();
            }
        }

        return remote.ToString();
    }
}
