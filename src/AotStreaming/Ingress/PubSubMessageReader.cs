using System.Buffers;
using System.Buffers.Text;

namespace AotStreaming.Ingress;

/// <summary>
/// <see cref="RespReader"/> for the subscriber socket, plus streaming of large pub/sub messages. A <c>message</c>
/// whose payload is not all in the buffer yet is not left there to accumulate (a 20 MB message would sit in 320
/// pipe segments and be reparsed on every read): its payload is copied into its final array as bytes arrive, so the
/// pipe only ever holds one read's worth and the socket is drained as fast as Redis writes (Redis closes a
/// subscriber whose output buffer passes 32 MB). A payload above <see cref="IngressOptions.MaxMessageBytes"/> is
/// skipped the same way without being stored, and reported as a <see cref="SkippedMessage"/>.
/// One instance per connection: it holds the state of a message that spans reads.
/// </summary>
internal sealed class PubSubMessageReader(int maxMessageBytes)
{
    private byte[]? _channel;
    private byte[]? _payload;
    private long _length;
    private long _done;

    /// <summary>
    /// Like <see cref="RespReader.TryRead"/>, but on false <paramref name="reader"/> is left at the first byte that
    /// must be kept for the next read (the caller slices the buffer there), not at an arbitrary point.
    /// </summary>
    public bool TryRead(ref SequenceReader<byte> reader, out object? value)
    {
        if (_channel is not null)
        {
            return Continue(ref reader, out value);
        }

        // Every pub/sub message is taken through Continue, whole or not: one path, and RespReader never sees a
        // payload (its 64 MB refusal would otherwise drop the connection for a message we only want to skip).
        var probe = reader;
        if (!TryReadMessageHeader(ref probe, out var channel, out var length))
        {
            probe = reader;
            if (RespReader.TryRead(ref probe, out value))
            {
                reader = probe;
                return true;
            }

            return false;
        }

        reader = probe;
        _channel = channel;
        _length = length;
        _done = 0;
        _payload = length <= maxMessageBytes ? LargeMessageMemory.AllocatePayload((int)length) : null;
        return Continue(ref reader, out value);
    }

    /// <summary>
    /// Where the rest of a large payload can be read to directly, without passing through a read buffer: the
    /// unfilled part of the payload being received, or empty when no payload is pending (or it is being skipped).
    /// Only valid once the read buffer holds nothing more of it (the caller consumed it with <see cref="TryRead"/>).
    /// </summary>
    public Span<byte> PayloadRemaining =>
        _channel is not null && _payload is not null && _done < _length ? _payload.AsSpan((int)_done) : [];

    /// <summary><paramref name="count"/> bytes were read straight into <see cref="PayloadRemaining"/>.</summary>
    public void PayloadReceived(int count)
    {
        if ((uint)count > (uint)PayloadRemaining.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _done += count;
    }

    /// <summary>Copies (or skips) what the buffer holds of the payload and its CRLF; true once the message is whole.</summary>
    private bool Continue(ref SequenceReader<byte> reader, out object? value)
    {
        value = null;
        var wanted = _length + 2 - _done;
        var available = Math.Min(wanted, reader.Remaining);
        if (_payload is not null && _done < _length)
        {
            var count = (int)Math.Min(available, _length - _done);
            reader.Sequence.Slice(reader.Position, count).CopyTo(_payload.AsSpan((int)_done));
        }

        reader.Advance(available);
        _done += available;
        if (_done < _length + 2)
        {
            return false;
        }

        value = _payload is null
            ? new SkippedMessage(_channel!, _length)
            : new object?[] { "message"u8.ToArray(), _channel, _payload };
        _channel = null;
        _payload = null;
        return true;
    }

    /// <summary><c>*3\r\n$7\r\nmessage\r\n$n\r\nchannel\r\n$len\r\n</c>: everything up to the payload.</summary>
    private static bool TryReadMessageHeader(ref SequenceReader<byte> reader, out byte[] channel, out long length)
    {
        channel = [];
        length = 0;
        if (!reader.IsNext("*3\r\n"u8, advancePast: true))
        {
            return false;
        }

        if (!RespReader.TryRead(ref reader, out var kind) || kind is not byte[] kindBytes || !kindBytes.AsSpan().SequenceEqual("message"u8)
            || !RespReader.TryRead(ref reader, out var name) || name is not byte[] nameBytes)
        {
            return false;
        }

        if (!reader.IsNext((byte)'$', advancePast: true) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8)
            || line.Length is 0 or > 19)
        {
            return false;
        }

        Span<byte> digits = stackalloc byte[19];
        line.CopyTo(digits);
        if (!Utf8Parser.TryParse(digits[..(int)line.Length], out length, out var consumed) || consumed != line.Length || length < 0)
        {
            throw new InvalidDataException("bad RESP bulk length");
        }

        channel = nameBytes;
        return true;
    }
}

/// <summary>A pub/sub message skipped for its size (Ingress:MaxMessageBytes); its payload was never stored.</summary>
internal sealed record SkippedMessage(byte[] Channel, long Length);
