using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// The server runs out of file descriptors (its open-files limit lowered with <c>prlimit</c> while it runs, then a
/// burst of connections): accepting fails with EMFILE, which is logged as a warning, and once descriptors are free
/// again the next client is accepted and served. Before, <see cref="StreamingTransport"/> would have stopped
/// accepting for good on that error while health probes over open connections still passed.
/// </summary>
public sealed class AcceptExhaustionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task OutOfFileDescriptors_AcceptRetried_NextClientServedOnceFreed()
    {
        var user = await fixture.Database.CreateUserAsync();
        var pid = _server.ProcessId;
        var original = await PrlimitAsync(pid, null);
        var open = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var hogs = new List<Socket>();
        try
        {
            await PrlimitAsync(pid, $"{open + 4}:{original.Split(':')[1]}");
            // The kernel completes these handshakes into the listen backlog whatever the server's limit; the server
            // accepts four and then fails.
            for (var i = 0; i < 16; i++)
            {
                var hog = new Socket(SocketType.Stream, ProtocolType.Tcp);
                hogs.Add(hog);
                await hog.ConnectAsync(IPAddress.Loopback, _server.Port).DefaultTimeout();
            }

            await _server.WaitForOutputAsync("Accepting connections fails (TooManyOpenSockets").DefaultTimeout();
        }
        finally
        {
            foreach (var hog in hogs)
            {
                hog.Dispose();
            }

            await PrlimitAsync(pid, original);
        }

        using var socket = await RawWebSocket.ConnectAsync(_server, $"/api/v1/streaming?access_token={user.Token}&stream=user");
        var channel = $"timeline:{user.AccountId}";
        await _server.WaitForRedisSubscriptionAsync(channel);
        await _server.PublishAsync(channel, RailsMessages.Delete("after-emfile"));
        while (await socket.ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == WebSocketOpcode.Text)
            {
                using var json = JsonDocument.Parse(frame.Payload);
                Assert.Equal("after-emfile", json.RootElement.GetProperty("payload").GetString());
                return;
            }
        }

        Assert.Fail("the connection ended before the event");
    }

    /// <summary>Sets the process' open-files limit ("soft:hard") when given; returns it as it was ("soft:hard").</summary>
    private static async Task<string> PrlimitAsync(int pid, string? limits)
    {
        var info = new ProcessStartInfo("prlimit") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--nofile" + (limits is null ? "" : "=" + limits), "--raw", "--noheadings", "--output", "SOFT,HARD"])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "prlimit failed: " + error);
        var fields = output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return limits ?? $"{fields[0]}:{fields[1]}";
    }
}
