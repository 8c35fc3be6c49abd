using System.Buffers;
using AotStreaming.Serialization;

namespace AotStreaming.Decoding;

/// <summary>
/// One decoded Redis message. Decoded once, then shared by every dispatcher and recipient: each distinct frame
/// (transport, stream array, <c>filtered</c> value) is encoded once and cached here.
/// </summary>
internal sealed class StreamEvent
{
    private readonly Lock _cacheLock = new();
    private byte[]? _sseFrame;
    private byte[]? _sseFilteredEmptyFrame;
    private FrameCacheEntry[] _wsFrames = [];
    private StatusFacts? _facts;
    private Exception? _factsError;
    private string? _searchableText;
    private byte[]? _personalHead;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_matchBuffer;

    public required string Channel { get; init; }

    public required string EventName { get; init; }

    public required PayloadKind PayloadKind { get; init; }

    /// <summary>JSON text (<see cref="PayloadKind.Json"/>), raw UTF-8 string bytes, or the bare value's text.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp at which the Redis message was read.</summary>
    public long ReceivedTimestamp { get; init; }

    /// <summary><c>update</c> and <c>status.update</c>: the only events the public/hashtag filters look at.</summary>
    public bool IsStatusEvent => EventName is "update" or "status.update";

    /// <summary>Status facts for filtering, parsed on first use; throws the parse error for every caller.</summary>
    public StatusFacts GetStatusFacts()
    {
        if (_facts is { } facts)
        {
            return facts;
        }

        lock (_cacheLock)
        {
            if (_facts is null && _factsError is null)
            {
                try
                {
                    _facts = PayloadKind == PayloadKind.Json
                        ? StatusFacts.Parse(Payload.Span)
                        : throw new FormatException("status payload is not an object");
                }
                catch (Exception ex)
                {
                    _factsError = ex;
                }
            }

            return _facts ?? throw _factsError!;
        }
    }

    /// <summary>Spoiler, content, poll options and media descriptions as plain text, computed once.</summary>
    public string GetSearchableText(Func<ReadOnlyMemory<byte>, string> extract)
    {
        return _searchableText ??= extract(Payload);
    }

    /// <summary>The SSE frame; <paramref name="filtered"/> appends a <c>filtered</c> member to the payload.</summary>
    public byte[] GetSseFrame(ReadOnlySpan<byte> filtered = default, bool cacheable = true)
    {
        if (filtered.IsEmpty)
        {
            return _sseFrame ??= EncodeSse(default);
        }

        if (cacheable && filtered.SequenceEqual("[]"u8))
        {
            return _sseFilteredEmptyFrame ??= EncodeSse("[]"u8);
        }

        return EncodeSse(filtered);
    }

    /// <summary>
    /// The WebSocket frame, header included, for one stream array (for example <c>["hashtag","Foo"]</c>). Frames for
    /// <c>filtered: []</c> and for no <c>filtered</c> are cached; a personal keyword match is not.
    /// </summary>
    public byte[] GetWebSocketFrame(byte[] streamArray, ReadOnlySpan<byte> filtered = default)
    {
        var variant = filtered.IsEmpty ? 0 : filtered.SequenceEqual("[]"u8) ? 1 : 2;
        if (variant == 2)
        {
            return PayloadKind == PayloadKind.Json ? EncodePersonalWebSocket(streamArray, filtered) : EncodeWebSocket(streamArray, filtered);
        }

        var frames = Volatile.Read(ref _wsFrames);
        foreach (var entry in frames)
        {
            if (entry.Variant == variant && ReferenceEquals(entry.StreamArray, streamArray))
            {
                return entry.Frame;
            }
        }

        lock (_cacheLock)
        {
            foreach (var entry in _wsFrames)
            {
                if (entry.Variant == variant && entry.StreamArray.AsSpan().SequenceEqual(streamArray))
                {
                    return entry.Frame;
                }
            }

            var frame = EncodeWebSocket(streamArray, variant == 1 ? "[]"u8 : default);
            // Copy-on-write so the lock-free scan above never sees a half-built array.
            Volatile.Write(ref _wsFrames, [.. _wsFrames, new FrameCacheEntry(streamArray, variant, frame)]);
            return frame;
        }
    }

    /// <summary>
    /// A frame with a personal keyword match (one per matched viewer): the escaped payload up to its
    /// <c>"filtered":</c> member is built once per event, so each viewer costs one allocation and a copy, not an
    /// escape of the whole status. Byte for byte what <see cref="EncodeWebSocket"/> writes, since JSON escaping
    /// works byte by byte and the split falls on ASCII.
    /// </summary>
    private byte[] EncodePersonalWebSocket(byte[] streamArray, ReadOnlySpan<byte> filtered)
    {
        var head = Volatile.Read(ref _personalHead);
        if (head is null)
        {
            var text = new ArrayBufferWriter<byte>(Payload.Length + 16);
            WritePayloadText(text, "[]"u8);
            // The payload text ends with the filtered value "[]" and the closing brace: keep what comes before.
            var prefix = text.WrittenSpan[..^3];
            var escaped = new ArrayBufferWriter<byte>(prefix.Length + (prefix.Length / 8) + EventName.Length + 32);
            JsonStringLiteral.Write(escaped, System.Text.Encoding.UTF8.GetBytes(EventName));
            escaped.Write(WebSocketFrames.PayloadKey);
            JsonStringLiteral.Write(escaped, prefix);
            head = escaped.WrittenSpan[..^1].ToArray();
            Volatile.Write(ref _personalHead, head);
        }

        var match = t_matchBuffer ??= new ArrayBufferWriter<byte>(512);
        match.ResetWrittenCount();
        JsonStringLiteral.Write(match, filtered);
        var tail = match.WrittenSpan[1..^1];
        var length = WebSocketFrames.StreamPrefix.Length + streamArray.Length + WebSocketFrames.EventKey.Length + head.Length + tail.Length + 3;
        var frame = WebSocketWireFrame.Allocate(length, out var body);
        var at = 0;
        WebSocketFrames.StreamPrefix.CopyTo(body);
        at += WebSocketFrames.StreamPrefix.Length;
        streamArray.CopyTo(body[at..]);
        at += streamArray.Length;
        WebSocketFrames.EventKey.CopyTo(body[at..]);
        at += WebSocketFrames.EventKey.Length;
        head.CopyTo(body[at..]);
        at += head.Length;
        tail.CopyTo(body[at..]);
        at += tail.Length;
        "}\"}"u8.CopyTo(body[at..]);
        return frame;
    }

    // Frames are allocated at their final size and written once: for a 20 MB status a growing buffer and its copy
    // doubled the large-object-heap arrays (and the copying) of each frame.
    private byte[] EncodeSse(ReadOnlySpan<byte> filtered)
    {
        var text = new PayloadText(Payload.Span, PayloadKind, filtered);
        var eventName = System.Text.Encoding.UTF8.GetBytes(EventName);
        var frame = GC.AllocateUninitializedArray<byte>(
            SseFrames.EventPrefix.Length + eventName.Length + SseFrames.DataPrefix.Length + text.Length + SseFrames.EventEnd.Length);
        var at = Put(frame, 0, SseFrames.EventPrefix);
        at = Put(frame, at, eventName);
        at = Put(frame, at, SseFrames.DataPrefix);
        at += text.CopyTo(frame.AsSpan(at));
        Put(frame, at, SseFrames.EventEnd);
        return frame;
    }

    private byte[] EncodeWebSocket(byte[] streamArray, ReadOnlySpan<byte> filtered)
    {
        var text = new PayloadText(Payload.Span, PayloadKind, filtered);
        var eventName = System.Text.Encoding.UTF8.GetBytes(EventName);
        var bare = PayloadKind == PayloadKind.Bare;
        var length = WebSocketFrames.StreamPrefix.Length + streamArray.Length + WebSocketFrames.EventKey.Length
            + JsonStringLiteral.EscapedLength(eventName) + 2 + WebSocketFrames.PayloadKey.Length
            + (bare ? Payload.Length : text.EscapedLength() + 2) + 1;
        var frame = WebSocketWireFrame.Allocate(length, out var body);
        var at = Put(body, 0, WebSocketFrames.StreamPrefix);
        at = Put(body, at, streamArray);
        at = Put(body, at, WebSocketFrames.EventKey);
        body[at++] = (byte)'"';
        at += JsonStringLiteral.WriteEscaped(body[at..], eventName);
        body[at++] = (byte)'"';
        at = Put(body, at, WebSocketFrames.PayloadKey);
        if (bare)
        {
            at = Put(body, at, Payload.Span);
        }
        else
        {
            body[at++] = (byte)'"';
            at += text.WriteEscaped(body[at..]);
            body[at++] = (byte)'"';
        }

        body[at] = (byte)'}';
        return frame;
    }

    private static int Put(Span<byte> destination, int at, ReadOnlySpan<byte> source)
    {
        source.CopyTo(destination[at..]);
        return at + source.Length;
    }

    /// <summary>The payload as clients see it (<see cref="PayloadText"/>), appended to <paramref name="buffer"/>.</summary>
    private void WritePayloadText(IBufferWriter<byte> buffer, ReadOnlySpan<byte> filtered)
    {
        var text = new PayloadText(Payload.Span, PayloadKind, filtered);
        buffer.Advance(text.CopyTo(buffer.GetSpan(text.Length)));
    }

    /// <summary>
    /// The payload as clients see it. With a <c>filtered</c> value and a JSON object payload, the member is spliced
    /// in before the object's closing brace, so the rest of the original JSON is forwarded byte for byte: the text
    /// is then the body (everything before that brace), a comma unless the object was empty,
    /// <c>"filtered":</c>, the value and <c>}</c>. Otherwise it is the payload unchanged.
    /// </summary>
    private readonly ref struct PayloadText
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly ReadOnlySpan<byte> _separator;
        private readonly ReadOnlySpan<byte> _filtered;
        private readonly bool _spliced;

        public PayloadText(ReadOnlySpan<byte> payload, PayloadKind kind, ReadOnlySpan<byte> filtered)
        {
            _body = payload;
            if (filtered.IsEmpty || kind != PayloadKind.Json)
            {
                return;
            }

            _spliced = true;
            _body = payload[..payload.LastIndexOf((byte)'}')];
            var open = _body.IndexOf((byte)'{');
            _separator = _body[(open + 1)..].Trim(" \t\r\n"u8).IsEmpty ? default : ","u8;
            _filtered = filtered;
        }

        public int Length => _spliced
            ? _body.Length + _separator.Length + WebSocketFrames.FilteredKey.Length + _filtered.Length + 1
            : _body.Length;

        /// <summary>Copies the text to the start of <paramref name="destination"/>; returns <see cref="Length"/>.</summary>
        public int CopyTo(Span<byte> destination)
        {
            var at = Put(destination, 0, _body);
            if (_spliced)
            {
                at = Put(destination, at, _separator);
                at = Put(destination, at, WebSocketFrames.FilteredKey);
                at = Put(destination, at, _filtered);
                destination[at++] = (byte)'}';
            }

            return at;
        }

        /// <summary>The text's length as the content of a JSON string (escaping works byte by byte, so piece by piece).</summary>
        public int EscapedLength() => _spliced
            ? JsonStringLiteral.EscapedLength(_body) + _separator.Length + JsonStringLiteral.EscapedLength(WebSocketFrames.FilteredKey)
                + JsonStringLiteral.EscapedLength(_filtered) + 1
            : JsonStringLiteral.EscapedLength(_body);

        /// <summary>Writes the text escaped (without quotes) to the start of <paramref name="destination"/>.</summary>
        public int WriteEscaped(Span<byte> destination)
        {
            var at = JsonStringLiteral.WriteEscaped(destination, _body);
            if (_spliced)
            {
                at = Put(destination, at, _separator);
                at += JsonStringLiteral.WriteEscaped(destination[at..], WebSocketFrames.FilteredKey);
                at += JsonStringLiteral.WriteEscaped(destination[at..], _filtered);
                destination[at++] = (byte)'}';
            }

            return at;
        }
    }

    private sealed record FrameCacheEntry(byte[] StreamArray, int Variant, byte[] Frame);
}
