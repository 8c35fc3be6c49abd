using System.Buffers;
using System.Globalization;
using System.Text;

namespace AotStreaming.Ingress;

public sealed class RespReaderTests
{
    // One of every reply type the subscriber connection can meet, with the parsed form each must give.
    public static readonly TheoryData<string, string> Replies = new()
    {
        { "+OK\r\n", "simple:OK" },
        { "+\r\n", "simple:" },
        { "-ERR unknown command 'FOO'\r\n", "error:ERR unknown command 'FOO'" },
        { "-NOAUTH Authentication required.\r\n", "error:NOAUTH Authentication required." },
        { ":0\r\n", "int:0" },
        { ":42\r\n", "int:42" },
        { ":-7\r\n", "int:-7" },
        { ":9223372036854775807\r\n", "int:9223372036854775807" },
        { "$5\r\nhello\r\n", "bulk:hello" },
        { "$0\r\n\r\n", "bulk:" },
        { "$-1\r\n", "null" },
        { "$6\r\na\r\nb\r\n\r\n", "bulk:a\r\nb\r\n" },
        { "*0\r\n", "[]" },
        { "*-1\r\n", "null" },
        { "*2\r\n:1\r\n$1\r\nx\r\n", "[int:1, bulk:x]" },
        { "*3\r\n*1\r\n:1\r\n*0\r\n*2\r\n$-1\r\n*-1\r\n", "[[int:1], [], [null, null]]" },
        { "*2\r\n+PONG\r\n-ERR x\r\n", "[simple:PONG, error:ERR x]" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void TryRead_WholeReply_ReturnsParsedValueAndConsumesIt(string wire, string expected)
    {
        var values = ReadAll(Encoding.UTF8.GetBytes(wire), out var consumed);

        Assert.Equal([expected], values);
        Assert.Equal(Encoding.UTF8.GetByteCount(wire), consumed);
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void TryRead_EveryProperPrefix_ReturnsFalseAndLeavesItForLater(string wire, string expected)
    {
        _ = expected;
        var bytes = Encoding.UTF8.GetBytes(wire);

        for (var length = 0; length < bytes.Length; length++)
        {
            var values = ReadAll(bytes[..length], out var consumed);

            Assert.True(values.Count == 0, $"prefix of {length} bytes gave {string.Join(", ", values)}");
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void TryRead_PubSubReplies_ParseAsTheSubscriberExpects()
    {
        var wire = "*3\r\n$9\r\nsubscribe\r\n$15\r\ntimeline:public\r\n:1\r\n"
            + "*3\r\n$7\r\nmessage\r\n$15\r\ntimeline:public\r\n$15\r\n{\"event\":\"x\"}\r\n\r\n"
            + "*4\r\n$8\r\npmessage\r\n$10\r\ntimeline:*\r\n$12\r\ntimeline:100\r\n$2\r\n{}\r\n"
            + "*3\r\n$11\r\nunsubscribe\r\n$15\r\ntimeline:public\r\n:0\r\n";

        var values = ReadAll(Encoding.UTF8.GetBytes(wire), out _);

        Assert.Equal(
            [
                "[bulk:subscribe, bulk:timeline:public, int:1]",
                "[bulk:message, bulk:timeline:public, bulk:{\"event\":\"x\"}\r\n]",
                "[bulk:pmessage, bulk:timeline:*, bulk:timeline:100, bulk:{}]",
                "[bulk:unsubscribe, bulk:timeline:public, int:0]",
            ],
            values);
    }

    [Fact]
    public void TryRead_MessageArray_GivesChannelAndPayloadAsByteArrays()
    {
        var payload = "{\"event\":\"update\",\"payload\":\"é\"}";
        var wire = $"*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n${Encoding.UTF8.GetByteCount(payload)}\r\n{payload}\r\n";
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire)));

        Assert.True(RespReader.TryRead(ref reader, out var value));

        var items = Assert.IsType<object?[]>(value);
        Assert.Equal("message"u8.ToArray(), Assert.IsType<byte[]>(items[0]));
        Assert.Equal("chan"u8.ToArray(), Assert.IsType<byte[]>(items[1]));
        Assert.Equal(payload, Encoding.UTF8.GetString(Assert.IsType<byte[]>(items[2])));
        Assert.True(reader.End);
    }

    [Fact]
    public void TryRead_AllRepliesSplitIntoTwoSegmentsAtEveryByte_GivesSameValues()
    {
        var (bytes, expected) = AllRepliesConcatenated();

        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var values = ReadAll(SegmentedSequence.Split(bytes, cut), out var consumed);

            Assert.Equal(expected, values);
            Assert.Equal(bytes.Length, consumed);
        }
    }

    [Fact]
    public void TryRead_AllRepliesInOneByteSegments_GivesSameValues()
    {
        var (bytes, expected) = AllRepliesConcatenated();

        var values = ReadAll(SegmentedSequence.Split(bytes, [.. Enumerable.Range(1, bytes.Length - 1)]), out var consumed);

        Assert.Equal(expected, values);
        Assert.Equal(bytes.Length, consumed);
    }

    [Fact]
    public void TryRead_BytesArrivingOneAtATime_GivesEachValueExactlyOnceWhenComplete()
    {
        // The subscriber's loop: parse what is there, keep the unparsed rest, append what arrives next.
        var (bytes, expected) = AllRepliesConcatenated();
        var values = new List<string>();
        var pending = Array.Empty<byte>();

        for (var i = 0; i < bytes.Length; i++)
        {
            pending = [.. pending, bytes[i]];
            values.AddRange(ReadAll(SegmentedSequence.Split(pending, pending.Length / 2), out var consumed));
            pending = pending[(int)consumed..];
        }

        Assert.Equal(expected, values);
        Assert.Empty(pending);
    }

    [Theory]
    [InlineData("!3\r\nabc\r\n")]
    [InlineData("hello\r\n")]
    [InlineData(":\r\n")]
    [InlineData(":12a\r\n")]
    [InlineData("$x\r\n")]
    [InlineData("*1.5\r\n")]
    [InlineData(":1234567890123456789012345\r\n")]
    public void TryRead_MalformedReply_ThrowsInvalidData(string wire)
    {
        Assert.Throws<InvalidDataException>(() => ReadAll(Encoding.UTF8.GetBytes(wire), out _));
    }

    [Fact]
    public void TryRead_BulkLongerThanLimit_ThrowsBeforeWaitingForTheBytes()
    {
        var wire = $"${RespReader.MaxBulkLength + 1}\r\n";

        Assert.Throws<InvalidDataException>(() => ReadAll(Encoding.ASCII.GetBytes(wire), out _));
    }

    [Fact]
    public void TryRead_ArrayOfMoreThan1024Items_Throws()
    {
        Assert.Throws<InvalidDataException>(() => ReadAll("*1025\r\n"u8.ToArray(), out _));
    }

    [Fact]
    public void WriteCommand_Parts_WritesArrayOfBulkStringsWithUtf8ByteLengths()
    {
        var writer = new ArrayBufferWriter<byte>();

        RespReader.WriteCommand(writer, ["SUBSCRIBE", "timeline:hashtag:café"]);

        Assert.Equal("*2\r\n$9\r\nSUBSCRIBE\r\n$22\r\ntimeline:hashtag:café\r\n", Encoding.UTF8.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void WriteCommand_Output_ReadsBackAsTheSameParts()
    {
        var writer = new ArrayBufferWriter<byte>();

        RespReader.WriteCommand(writer, ["AUTH", "user", "p\r\nss"]);

        Assert.Equal(["[bulk:AUTH, bulk:user, bulk:p\r\nss]"], ReadAll(writer.WrittenSpan.ToArray(), out _));
    }

    private static (byte[] Bytes, List<string> Expected) AllRepliesConcatenated()
    {
        var wire = new StringBuilder();
        var expected = new List<string>();
        foreach (var row in Replies)
        {
            wire.Append((string)row[0]);
            expected.Add((string)row[1]);
        }

        return (Encoding.UTF8.GetBytes(wire.ToString()), expected);
    }

    private static List<string> ReadAll(byte[] bytes, out long consumed) => ReadAll(new ReadOnlySequence<byte>(bytes), out consumed);

    /// <summary>
    /// Reads values the way <see cref="RedisSubscriberConnection"/> does: when a value is incomplete, everything from
    /// its first byte stays unconsumed for the next read.
    /// </summary>
    private static List<string> ReadAll(ReadOnlySequence<byte> buffer, out long consumed)
    {
        var values = new List<string>();
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            var before = reader.Consumed;
            if (!RespReader.TryRead(ref reader, out var value))
            {
                consumed = before;
                return values;
            }

            values.Add(Describe(value));
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string simple => "simple:" + simple,
        RespError error => "error:" + error.Message,
        long integer => "int:" + integer.ToString(CultureInfo.InvariantCulture),
        byte[] bulk => "bulk:" + Encoding.UTF8.GetString(bulk),
        object?[] items => "[" + string.Join(", ", items.Select(Describe)) + "]",
        _ => throw new InvalidOperationException($"unexpected value type {value.GetType()}"),
    };
}
