using System.Buffers.Binary;
using System.Text;

namespace AotStreaming.Testing.WebSockets;

public sealed class WebSocketFrameReaderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void TryRead_TextFrameOfLength_ReturnsWholePayload(int length)
    {
        var payload = Payload(length);
        var reader = new WebSocketFrameReader(4096);

        Receive(reader, Frame(fin: true, WebSocketOpcode.Text, payload));

        Assert.True(reader.TryRead(out var opcode, out var read));
        Assert.Equal(WebSocketOpcode.Text, opcode);
        Assert.Equal(payload, read.ToArray());
        Assert.False(reader.TryRead(out _, out _));
    }

    [Theory]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65536, 10)]
    public void Frame_LengthEncoding_UsesTheShortestForm(int length, int headerBytes)
    {
        var frame = Frame(fin: true, WebSocketOpcode.Text, Payload(length));

        Assert.Equal(headerBytes + length, frame.Length);
    }

    [Fact]
    public void TryRead_SeveralFramesInOneReceive_ReturnsEachInOrder()
    {
        var reader = new WebSocketFrameReader(4096);

        Receive(reader, [.. Frame(true, WebSocketOpcode.Text, "a"u8.ToArray()), .. Frame(true, WebSocketOpcode.Text, "bc"u8.ToArray())]);

        Assert.True(reader.TryRead(out _, out var first));
        Assert.Equal("a", Encoding.UTF8.GetString(first));
        Assert.True(reader.TryRead(out _, out var second));
        Assert.Equal("bc", Encoding.UTF8.GetString(second));
        Assert.False(reader.TryRead(out _, out _));
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(300, 3)]
    [InlineData(70000, 7)]
    [InlineData(70000, 4097)]
    public void TryRead_FrameSplitAcrossReceives_ReturnsItOnceComplete(int length, int chunk)
    {
        var payload = Payload(length);
        var frame = Frame(true, WebSocketOpcode.Text, payload);
        var reader = new WebSocketFrameReader(256);
        var messages = new List<byte[]>();

        for (var offset = 0; offset < frame.Length; offset += chunk)
        {
            Receive(reader, frame.AsSpan(offset, Math.Min(chunk, frame.Length - offset)));
            while (reader.TryRead(out _, out var read))
            {
                messages.Add(read.ToArray());
            }
        }

        Assert.Equal(payload, Assert.Single(messages));
    }

    [Fact]
    public void TryRead_LargeFrame_GrowsTheBufferToFit()
    {
        var reader = new WebSocketFrameReader(4096);

        Receive(reader, Frame(true, WebSocketOpcode.Text, Payload(65536)));

        Assert.True(reader.BufferSize >= 65536 + 10);
        Assert.True(reader.TryRead(out _, out var read));
        Assert.Equal(65536, read.Length);
    }

    [Fact]
    public void TryRead_FragmentedMessageWithPingBetween_ReturnsPingThenReassembledText()
    {
        var reader = new WebSocketFrameReader(4096);

        Receive(reader,
        [
            .. Frame(false, WebSocketOpcode.Text, "{\"event\""u8.ToArray()),
            .. Frame(true, WebSocketOpcode.Ping, "p"u8.ToArray()),
            .. Frame(false, WebSocketOpcode.Continuation, ":\"upd"u8.ToArray()),
            .. Frame(true, WebSocketOpcode.Continuation, "ate\"}"u8.ToArray()),
        ]);

        Assert.True(reader.TryRead(out var pingOpcode, out var ping));
        Assert.Equal(WebSocketOpcode.Ping, pingOpcode);
        Assert.Equal("p", Encoding.UTF8.GetString(ping));
        Assert.True(reader.TryRead(out var opcode, out var message));
        Assert.Equal(WebSocketOpcode.Text, opcode);
        Assert.Equal("{\"event\":\"update\"}", Encoding.UTF8.GetString(message));
        Assert.False(reader.TryRead(out _, out _));
    }

    [Fact]
    public void TryRead_FragmentsInSeparateReceives_ReassemblesAfterBufferIsReused()
    {
        var reader = new WebSocketFrameReader(64);
        var messages = new List<string>();

        foreach (var frame in new[]
        {
            Frame(false, WebSocketOpcode.Text, Payload(40)),
            Frame(false, WebSocketOpcode.Continuation, Payload(40)),
            Frame(true, WebSocketOpcode.Continuation, "end"u8.ToArray()),
        })
        {
            Receive(reader, frame);
            while (reader.TryRead(out _, out var read))
            {
                messages.Add(Encoding.UTF8.GetString(read));
            }
        }

        var message = Assert.Single(messages);
        Assert.Equal(83, message.Length);
        Assert.EndsWith("end", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_CloseFrame_ReturnsCodeAndReason()
    {
        var reader = new WebSocketFrameReader(4096);
        var payload = new byte[2 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(payload, 1008);
        "slow"u8.CopyTo(payload.AsSpan(2));

        Receive(reader, Frame(true, WebSocketOpcode.Close, payload));

        Assert.True(reader.TryRead(out var opcode, out var read));
        Assert.Equal(WebSocketOpcode.Close, opcode);
        Assert.Equal(1008, WebSocketFrameReader.ReadCloseStatus(read, out var reason));
        Assert.Equal("slow", reason);
    }

    [Fact]
    public void ReadCloseStatus_EmptyPayload_HasNoCode()
    {
        Assert.Null(WebSocketFrameReader.ReadCloseStatus([], out var reason));
        Assert.Equal("", reason);
    }

    [Fact]
    public void TryRead_MaskedServerFrame_Throws()
    {
        var reader = new WebSocketFrameReader(4096);

        Receive(reader, [0x81, 0x81, 1, 2, 3, 4, 5]);

        Assert.Throws<InvalidDataException>(() => reader.TryRead(out _, out _));
    }

    [Fact]
    public void TryRead_ContinuationWithoutStart_Throws()
    {
        var reader = new WebSocketFrameReader(4096);

        Receive(reader, Frame(true, WebSocketOpcode.Continuation, "x"u8.ToArray()));

        Assert.Throws<InvalidDataException>(() => reader.TryRead(out _, out _));
    }

    [Fact]
    public void TryRead_BytesConsumedByHandshake_AreSkipped()
    {
        var reader = new WebSocketFrameReader(4096);
        Receive(reader, [.. "HTTP/1.1 101 Switching Protocols\r\n\r\n"u8.ToArray(), .. Frame(true, WebSocketOpcode.Text, "hi"u8.ToArray())]);

        reader.Consume(WebSocketHandshake.FindHeadLength(reader.Buffered));

        Assert.True(reader.TryRead(out _, out var read));
        Assert.Equal("hi", Encoding.UTF8.GetString(read));
    }

    private static void Receive(WebSocketFrameReader reader, ReadOnlySpan<byte> bytes)
    {
        // As a socket would: fill whatever free space the reader offers; a full buffer grows on the next call.
        while (!bytes.IsEmpty)
        {
            var memory = reader.GetReceiveMemory();
            var count = Math.Min(memory.Length, bytes.Length);
            bytes[..count].CopyTo(memory.Span);
            reader.Advance(count);
            bytes = bytes[count..];
        }
    }

    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        return payload;
    }

    /// <summary>An unmasked server frame, as the server would send it.</summary>
    private static byte[] Frame(bool fin, WebSocketOpcode opcode, byte[] payload)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (byte)opcode) };
        if (payload.Length < 126)
        {
            header.Add((byte)payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add(126);
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add(127);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        return [.. header, .. payload];
    }
}
