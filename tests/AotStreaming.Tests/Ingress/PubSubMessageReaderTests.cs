using System.Buffers;
using System.Text;

namespace AotStreaming.Ingress;

public sealed class PubSubMessageReaderTests
{
    private static byte[] Message(string channel, byte[] payload) =>
        [.. Encoding.ASCII.GetBytes($"*3\r\n$7\r\nmessage\r\n${channel.Length}\r\n{channel}\r\n${payload.Length}\r\n"), .. payload, .. "\r\n"u8];

    /// <summary>Feeds <paramref name="wire"/> in chunks the way the connection loop does: unconsumed bytes are kept.</summary>
    private static List<object?> ReadAll(PubSubMessageReader reader, byte[] wire, int chunk)
    {
        var values = new List<object?>();
        var kept = Array.Empty<byte>();
        for (var offset = 0; offset < wire.Length; offset += chunk)
        {
            byte[] buffer = [.. kept, .. wire.AsSpan(offset, Math.Min(chunk, wire.Length - offset))];
            var sequence = new SequenceReader<byte>(new ReadOnlySequence<byte>(buffer));
            while (reader.TryRead(ref sequence, out var value))
            {
                values.Add(value);
            }

            kept = buffer.AsSpan((int)sequence.Consumed).ToArray();
        }

        Assert.Empty(kept);
        return values;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void TryRead_MessagesSplitAnywhere_ArriveWholeAndInOrder(int chunk)
    {
        var big = Enumerable.Range(0, 5000).Select(i => (byte)('a' + (i % 26))).ToArray();
        byte[] wire = [.. Message("one", "first"u8.ToArray()), .. "*3\r\n$9\r\nsubscribe\r\n$3\r\ntwo\r\n:2\r\n"u8, .. Message("two", big), .. Message("one", [])];

        var values = ReadAll(new PubSubMessageReader(maxMessageBytes: 1 << 20), wire, chunk);

        Assert.Equal(4, values.Count);
        Assert.Equal("first"u8.ToArray(), ((object?[])values[0]!)[2]);
        Assert.Equal("subscribe"u8.ToArray(), ((object?[])values[1]!)[0]);
        Assert.Equal(big, ((object?[])values[2]!)[2]);
        Assert.Equal("two"u8.ToArray(), ((object?[])values[2]!)[1]);
        Assert.Empty((byte[])((object?[])values[3]!)[2]!);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    public void TryRead_MessageAboveLimit_SkippedThenNextMessageRead(int chunk)
    {
        byte[] wire = [.. Message("big", new byte[10_000]), .. Message("small", "ok"u8.ToArray())];

        var values = ReadAll(new PubSubMessageReader(maxMessageBytes: 1000), wire, chunk);

        var skipped = Assert.IsType<SkippedMessage>(values[0]);
        Assert.Equal(10_000, skipped.Length);
        Assert.Equal("big"u8.ToArray(), skipped.Channel);
        Assert.Equal("ok"u8.ToArray(), ((object?[])values[1]!)[2]);
    }

    [Fact]
    public void TryRead_MessageAboveRespReadersBulkCap_IsSkippedNotAnError()
    {
        // A 100 MB payload announced; only its header and first bytes have arrived.
        byte[] wire = [.. Encoding.ASCII.GetBytes("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$104857600\r\n"), .. new byte[100]];
        var reader = new PubSubMessageReader(maxMessageBytes: 1 << 20);
        var sequence = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));

        Assert.False(reader.TryRead(ref sequence, out _));
        Assert.Equal(wire.Length, sequence.Consumed);
    }
}
