using System.Net;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// <c>--health</c>: asks the running server's <c>/api/v1/streaming/health</c> and exits 0 only on "200 … OK". The
/// container image has no shell and no curl, so its HEALTHCHECK runs the binary itself. It looks where the server
/// listens: <c>SOCKET</c>, else 127.0.0.1:<c>PORT</c> (4000), as Mastodon's Compose file probes localhost:4000.
/// One raw HTTP/1.0 request on a socket: no HttpClient, which would add megabytes to the native binary.
/// </summary>
internal static class HealthProbe
{
    // Docker's default HEALTHCHECK timeout is 30 s; answer well inside it.
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        try
        {
            var (endPoint, family, protocol) = Environment.GetEnvironmentVariable("SOCKET") is { Length: > 0 } path
                ? ((EndPoint)new UnixDomainSocketEndPoint(path), AddressFamily.Unix, ProtocolType.Unspecified)
                : (new IPEndPoint(IPAddress.Loopback, Port()), AddressFamily.InterNetwork, ProtocolType.Tcp);
            using var socket = new Socket(family, SocketType.Stream, protocol);
            await socket.ConnectAsync(endPoint, cts.Token);
            await socket.SendAsync("GET /api/v1/streaming/health HTTP/1.0\r\nHost: localhost\r\n\r\n"u8.ToArray(), cts.Token);
            var response = new MemoryStream();
            var buffer = new byte[1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, cts.Token)) > 0 && response.Length < 64 * 1024)
            {
                response.Write(buffer, 0, read);
            }

            var text = Encoding.ASCII.GetString(response.GetBuffer(), 0, (int)response.Length);
            var healthy = text.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal) && text.EndsWith("\r\n\r\nOK", StringComparison.Ordinal);
            Console.WriteLine(healthy ? "healthy" : $"unhealthy: {text.Split("\r\n")[0]}");
            return healthy ? 0 : 1;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ArgumentException)
        {
            Console.WriteLine($"unhealthy: {ex.Message}");
            return 1;
        }
    }

    private static int Port() =>
        int.TryParse(Environment.GetEnvironmentVariable("PORT"), out var port) && port is > 0 and <= 65535 ? port : 4000;
}
