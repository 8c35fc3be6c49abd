using System.Net.WebSockets;
using AotStreaming.Serialization;

namespace AotStreaming.Delivery;

/// <summary>
/// The frames we write bypass the runtime's WebSocket, so each length form is checked by reading the bytes back
/// with the runtime's own client-side parser over a memory stream.
/// </summary>
public sealed class WebSocketWireFrameTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65_535, 4)]
    [InlineData(65_536, 10)]
    public async Task Text_EachLengthForm_ReadBackByRuntimeClientAsOneTextMessage(int length, int headerLength)
    {
        var payload = new byte[length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        var frame = WebSocketWireFrame.Text(payload);

        Assert.Equal(headerLength + length, frame.Length);
        using var client = WebSocket.CreateFromStream(new MemoryStream(frame), isServer: false, subProtocol: null, keepAliveInterval: TimeSpan.Zero);
        var received = new byte[length + 16];
        var result = await client.ReceiveAsync(received.AsMemory(), CancellationToken.None);
        var total = result.Count;
        while (!result.EndOfMessage)
        {
            result = await client.ReceiveAsync(received.AsMemory(total), CancellationToken.None);
            total += result.Count;
        }

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.Equal(payload, received[..total]);
    }
}
