using System.Buffers.Binary;
using System.Net.WebSockets;

namespace AotStreaming.Testing.WebSockets;

public sealed class WebSocketFrameWriterTests
{
    [Fact]
    public void WriteControl_Pong_IsFinalMaskedAndUnmasksToThePingPayload()
    {
        var frame = new byte[WebSocketFrameWriter.MaxControlFrameBytes];
        var payload = "ping-payload"u8.ToArray();

        var length = WebSocketFrameWriter.WriteControl(frame, WebSocketOpcode.Pong, payload);

        Assert.Equal(6 + payload.Length, length);
        Assert.Equal(0x8A, frame[0]);
        Assert.Equal(0x80 | payload.Length, frame[1]);
        Assert.Equal(payload, Unmask(frame.AsSpan(0, length)));
    }

    [Fact]
    public void WriteControl_TwoFrames_UseDifferentMasks()
    {
        var first = new byte[WebSocketFrameWriter.MaxControlFrameBytes];
        var second = new byte[WebSocketFrameWriter.MaxControlFrameBytes];

        WebSocketFrameWriter.WriteControl(first, WebSocketOpcode.Pong, []);
        WebSocketFrameWriter.WriteControl(second, WebSocketOpcode.Pong, []);

        Assert.NotEqual(first.AsSpan(2, 4).ToArray(), second.AsSpan(2, 4).ToArray());
    }

    [Fact]
    public void WriteCloseReply_EchoesTheStatusCode()
    {
        var frame = new byte[WebSocketFrameWriter.MaxControlFrameBytes];

        var length = WebSocketFrameWriter.WriteCloseReply(frame, 1008);

        Assert.Equal(0x88, frame[0]);
        Assert.Equal(1008, BinaryPrimitives.ReadUInt16BigEndian(Unmask(frame.AsSpan(0, length))));
    }

    [Fact]
    public void WriteCloseReply_WithoutCode_HasEmptyPayload()
    {
        var frame = new byte[WebSocketFrameWriter.MaxControlFrameBytes];

        var length = WebSocketFrameWriter.WriteCloseReply(frame, null);

        Assert.Equal(6, length);
        Assert.Equal(0x80, frame[1]);
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(125, 6)]
    [InlineData(126, 8)]
    [InlineData(65_535, 8)]
    [InlineData(65_536, 14)]
    public async Task WriteFrame_EachLengthForm_ReadBackByRuntimeServerAsOneTextMessage(int length, int overhead)
    {
        var payload = new byte[length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        var frame = new byte[WebSocketFrameWriter.FrameLength(length)];
        var written = WebSocketFrameWriter.WriteFrame(frame, 0x81, payload);

        Assert.Equal(overhead + length, written);
        Assert.Equal(frame.Length, written);
        // The runtime's server side rejects unmasked client frames, so reading it back also checks the mask.
        using var server = WebSocket.CreateFromStream(new MemoryStream(frame), isServer: true, subProtocol: null, keepAliveInterval: TimeSpan.Zero);
        var received = new byte[length + 16];
        var result = await server.ReceiveAsync(received.AsMemory(), CancellationToken.None);
        var total = result.Count;
        while (!result.EndOfMessage)
        {
            result = await server.ReceiveAsync(received.AsMemory(total), CancellationToken.None);
            total += result.Count;
        }

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.Equal(payload, received[..total]);
    }

    [Fact]
    public void WriteFrame_AnyFirstByte_WrittenAsGiven()
    {
        var frame = new byte[WebSocketFrameWriter.FrameLength(2)];

        WebSocketFrameWriter.WriteFrame(frame, 0xA1, "{}"u8);

        // RSV2 set on a final text frame: tests send such frames to check the server's protocol errors.
        Assert.Equal(0xA1, frame[0]);
        Assert.Equal("{}"u8.ToArray(), Unmask(frame));
    }

    private static byte[] Unmask(ReadOnlySpan<byte> frame)
    {
        var mask = frame.Slice(2, 4);
        var body = frame[6..].ToArray();
        for (var i = 0; i < body.Length; i++)
        {
            body[i] ^= mask[i & 3];
        }

        return body;
    }
}
