using System.Text;
using AotStreaming.Dispatch;
using AotStreaming.Ingress;
using AotStreaming.Testing.WebSockets;

namespace AotStreaming.Decoding;

public sealed class EventDecoderTests
{
    private static DecodeResult Decode(string json, out StreamEvent? decoded) =>
        EventDecoder.Decode(new RawEvent("timeline:public", Encoding.UTF8.GetBytes(json), 0), out decoded);

    [Fact]
    public void Decode_ObjectPayload_KeepsOriginalJsonText()
    {
        var result = Decode("""{"event":"update","payload":{"id":"1", "content":"<p>a\u003cb</p>"},"queued_at":1}""", out var decoded);

        Assert.Equal(DecodeResult.Deliverable, result);
        Assert.Equal(PayloadKind.Json, decoded!.PayloadKind);
        Assert.Equal("""{"id":"1", "content":"<p>a\u003cb</p>"}""", Encoding.UTF8.GetString(decoded.Payload.Span));
    }

    [Theory]
    [InlineData("""{"event":"delete","payload":""}""")]
    [InlineData("""{"event":"delete","payload":0}""")]
    [InlineData("""{"event":"delete","payload":false}""")]
    [InlineData("""{"event":"delete","payload":null}""")]
    [InlineData("""{"event":"filters_changed"}""")]
    public void Decode_FalsyOrMissingPayload_IsNotDeliverable(string json)
    {
        var result = Decode(json, out var decoded);

        Assert.Equal(DecodeResult.NotDeliverable, result);
        Assert.NotNull(decoded);
    }

    [Theory]
    [InlineData("""{"payload":"1"}""")]
    [InlineData("""{"event":"","payload":"1"}""")]
    [InlineData("\"just a string\"")]
    [InlineData("[1,2]")]
    [InlineData("null")]
    public void Decode_NoEventName_IsNotAnEvent(string json)
    {
        var result = Decode(json, out var decoded);

        Assert.Equal(DecodeResult.NotAnEvent, result);
        Assert.Null(decoded);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("{\"event\":\"update\",\"payload\":{\"a\":")]
    public void Decode_Garbage_IsMalformed(string json)
    {
        var result = Decode(json, out _);

        Assert.Equal(DecodeResult.Malformed, result);
    }

    [Fact]
    public void Decode_EscapedStringPayload_IsUnescaped()
    {
        Decode("""{"event":"delete","payload":"a\"b"}""", out var decoded);

        Assert.Equal(PayloadKind.String, decoded!.PayloadKind);
        Assert.Equal("a\"b", Encoding.UTF8.GetString(decoded.Payload.Span));
    }

    [Fact]
    public void WebSocketFrame_StringAndNumberPayloads_MatchUpstreamShape()
    {
        Decode("""{"event":"delete","payload":"106"}""", out var delete);
        Decode("""{"event":"x","payload":42}""", out var number);
        var stream = Encoding.UTF8.GetBytes("""["public"]""");

        Assert.Equal("""{"stream":["public"],"event":"delete","payload":"106"}""", Text(delete!.GetWebSocketFrame(stream)));
        Assert.Equal("""{"stream":["public"],"event":"x","payload":42}""", Text(number!.GetWebSocketFrame(stream)));
        Assert.Equal("event: x\ndata: 42\n\n", Encoding.UTF8.GetString(number.GetSseFrame()));
    }

    [Fact]
    public void Frames_FilteredMember_IsSplicedAsLastMemberAndCachedOnce()
    {
        Decode("""{"event":"update","payload":{"id":"1","text":"é \"q\""}}""", out var decoded);
        var stream = Encoding.UTF8.GetBytes("""["hashtag","Foo"]""");

        var first = decoded!.GetWebSocketFrame(stream, "[]"u8);
        var second = decoded.GetWebSocketFrame(Encoding.UTF8.GetBytes("""["hashtag","Foo"]"""), "[]"u8);

        Assert.Same(first, second);
        Assert.Equal("""{"stream":["hashtag","Foo"],"event":"update","payload":"{\"id\":\"1\",\"text\":\"é \\\"q\\\"\",\"filtered\":[]}"}""", Text(first));
        Assert.Equal("event: update\ndata: {\"id\":\"1\",\"text\":\"é \\\"q\\\"\",\"filtered\":[]}\n\n", Encoding.UTF8.GetString(decoded.GetSseFrame("[]"u8)));
    }

    /// <summary>
    /// Issue 10 item 6: a large status's frames are each one array of exactly their size (a growing buffer and its copy
    /// doubled the large-object-heap arrays of a 20 MB status), and they carry the payload byte for byte.
    /// </summary>
    [Fact]
    public void Frames_FourMegabyteStatus_EachFrameAllocatesOneArrayOfItsSize()
    {
        const int Repeats = 512 * 1024;
        var content = string.Concat(Enumerable.Repeat("x\"<p>é\n", Repeats));
        var json = "{\"event\":\"update\",\"payload\":{\"id\":\"9\",\"content\":\"" + string.Concat(Enumerable.Repeat("x\\\"<p>é\\n", Repeats)) + "\"}}";
        Decode(json, out var decoded);
        var stream = Encoding.UTF8.GetBytes("""["user"]""");

        foreach (var filtered in new[] { "", "[]", """[{"filter":{"id":"3"}}]""" })
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var webSocket = decoded!.GetWebSocketFrame(stream, Encoding.UTF8.GetBytes(filtered));
            var sse = decoded.GetSseFrame(Encoding.UTF8.GetBytes(filtered), cacheable: false);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // A personal match (the third) also builds the escaped head shared by every matched viewer, once.
            if (filtered is "" or "[]")
            {
                Assert.InRange(allocated, webSocket.Length + sse.Length, webSocket.Length + sse.Length + 4096);
            }

            using var frame = System.Text.Json.JsonDocument.Parse(Text(webSocket));
            using var payload = System.Text.Json.JsonDocument.Parse(frame.RootElement.GetProperty("payload").GetString()!);
            Assert.Equal(content, payload.RootElement.GetProperty("content").GetString());
            var sseText = Encoding.UTF8.GetString(sse);
            Assert.StartsWith("event: update\ndata: {", sseText, StringComparison.Ordinal);
            Assert.EndsWith(filtered.Length == 0 ? "}\n\n" : $",\"filtered\":{filtered}}}\n\n", sseText, StringComparison.Ordinal);
            Assert.Equal(frame.RootElement.GetProperty("payload").GetString(), sseText["event: update\ndata: ".Length..^2]);
        }
    }

    [Fact]
    public void StatusFacts_RemoteAuthorWithMentions_ParsesTargetsAndDomain()
    {
        Decode("""{"event":"update","payload":{"account":{"id":"5","username":"bob","acct":"bob@remote.example"},"mentions":[{"id":"7"},{"id":"8"}],"language":null}}""", out var decoded);

        var facts = decoded!.GetStatusFacts();

        Assert.False(facts.IsLocal);
        Assert.Equal("remote.example", facts.AccountDomain);
        Assert.Equal([5L, 7L, 8L], facts.TargetAccountIds);
        Assert.Null(facts.Language);
        Assert.False(facts.HasFiltered);
    }

    /// <summary>
    /// The JSON text of a wire frame, read by the raw test client's frame reader: exactly one final text frame
    /// (each length form is checked against the runtime's parser by WebSocketWireFrameTests).
    /// </summary>
    private static string Text(byte[] frame)
    {
        var reader = new WebSocketFrameReader(frame.Length);
        frame.CopyTo(reader.GetReceiveMemory());
        reader.Advance(frame.Length);
        Assert.True(reader.TryRead(out var opcode, out var payload), "not one whole frame");
        Assert.Equal(WebSocketOpcode.Text, opcode);
        var text = Encoding.UTF8.GetString(payload);
        Assert.False(reader.TryRead(out _, out _), "bytes after the frame");
        return text;
    }
}
