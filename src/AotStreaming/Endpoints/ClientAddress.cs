using System.Net;
using AotStreaming.Configuration;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>
/// The client's address for per-address limits: the right-most untrusted hop of <c>X-Forwarded-For</c> when the
/// peer is a trusted proxy (<c>TRUSTED_PROXY_IP</c>, by default loopback and unique-local, like Express).
/// </summary>
internal sealed class ClientAddress
{
    private readonly List<(IPAddress Network, int PrefixLength)> _trusted = [];

    public ClientAddress(MastodonSettings settings)
    {
        if (settings.TrustedProxies.Count == 0)
        {
            _trusted.Add((IPAddress.Parse("127.0.0.0"), 8));
            _trusted.Add((IPAddress.IPv6Loopback, 128));
            _trusted.Add((IPAddress.Parse("10.0.0.0"), 8));
            _trusted.Add((IPAddress.Parse("172.16.0.0"), 12));
            _trusted.Add((IPAddress.Parse("192.168.0.0"), 16));
            _trusted.Add((IPAddress.Parse("fc00::"), 7));
            return;
        }

        foreach (var entry in settings.TrustedProxies)
        {
            var parts = entry.Split('/', 2);
            if (parts[0] is "loopback" or "uniquelocal" or "linklocal")
            {
                continue;
            }

            if (IPAddress.TryParse(parts[0], out var address))
            {
                var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
                var prefix = parts.Length == 2 && int.TryParse(parts[1], out var p) ? p : max;
                _trusted.Add((address, prefix));
            }
        }

        if (settings.TrustedProxies.Contains("loopback"))
        {
            _trusted.Add((IPAddress.Parse("127.0.0.0"), 8));
            _trusted.Add((IPAddress.IPv6Loopback, 128));
        }
    }

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

        if (!IsTrusted(remote))
        {
            return remote.ToString();
        }

        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
        var hops = forwarded.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                return hops[i];
            }

            if (!IsTrusted(hop))
            {
                return hop.ToString();
            }
        }

        return remote.ToString();
    }

    private bool IsTrusted(IPAddress address)
    {
        foreach (var (network, prefix) in _trusted)
        {
            if (network.AddressFamily == address.AddressFamily && new IPNetwork(network, prefix).Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
