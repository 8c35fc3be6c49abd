using System.Buffers.Binary;

namespace AotStreaming.Benchmarks;

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
