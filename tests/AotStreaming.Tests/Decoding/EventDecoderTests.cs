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
