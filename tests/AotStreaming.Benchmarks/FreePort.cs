using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Benchmarks;

internal static class FreePort
{
    /// <summary>A loopback port the kernel just handed out; free unless someone races us for it.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
