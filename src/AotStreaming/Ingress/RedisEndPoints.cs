using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Ingress;

/// <summary>Endpoints as Redis and Sentinel write them (<c>host:port</c>), for logs, comparison and parsing.</summary>
internal static class RedisEndPoints
{
    public static string Format(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        UnixDomainSocketEndPoint unix => unix.ToString(),
        _ => endPoint.ToString() ?? "",
    };

    public static bool Same(EndPoint? a, EndPoint? b) => a is not null && b is not null && Format(a) == Format(b);

    /// <summary>An address and port as Sentinel announces them (an IP address, or a host name with resolve-hostnames).</summary>
    public static EndPoint? Parse(string? host, string? port) =>
        host is { Length: > 0 } && int.TryParse(port, out var number) && number is > 0 and < 65536
            ? IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, number) : new DnsEndPoint(host, number)
            : null;
}
