using System.Net;
using System.Net.Sockets;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>Reference §8 (SOCKET): the server listens on a Unix socket that another user (nginx) can connect to.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnixSocketTests
{
    [Fact]
    public async Task Socket_Set_ListensThereWithMode0666_Section8()
    {
        var path = Path.Combine(Path.GetTempPath(), $"aot-streaming-{Guid.NewGuid():N}.sock");
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(database, environment: new Dictionary<string, string> { ["SOCKET"] = path });
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://localhost") };

        using var response = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Equal((UnixFileMode)0b110_110_110, File.GetUnixFileMode(path) & (UnixFileMode)0b111_111_111);
        Assert.Contains($"Streaming API now listening on {path}", server.Output, StringComparison.Ordinal);
    }
}
