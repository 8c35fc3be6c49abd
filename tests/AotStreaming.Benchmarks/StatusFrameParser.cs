using System.Buffers.Text;
using System.Text.Json;

namespace AotStreaming.Benchmarks;

/// <summary>What the receivers need from one delivered status: no DOM, one forward pass of Utf8JsonReader.</summary>
internal readonly record struct DeliveredStatus(long Id, long SentTimestamp, bool HasFilterMatch);

/// <summary>
/// Parses the two shapes a status arrives in. SSE: <c>data: {status}</c>, the status JSON itself.
/// WebSocket: <c>{"stream":[..],"event":"update","payload":"{\"id\":\"5\",..}"}</c>, where the status is
/// a JSON string inside the frame and has to be unescaped before its fields can be read.
/// </summary>
internal static class StatusFrameParser
{
    private static ReadOnlySpan<byte> IdName => "id"u8;

    private static ReadOnlySpan<byte> SentName => "sent_at_ticks"u8;

    private static ReadOnlySpan<byte> FilteredName => "filtered"u8;

    private static ReadOnlySpan<byte> EventName => "event"u8;

    private static ReadOnlySpan<byte> PayloadName => "payload"u8;

    private static ReadOnlySpan<byte> UpdateEvent => "update"u8;

    /// <summary>Reads id, send time and whether <c>filtered</c> is a non-empty array from a status object.</summary>
    public static bool TryParseStatus(ReadOnlySpan<byte> json, out DeliveredStatus status)
    {
        status = default;
        long id = -1, sent = -1;
        var filterMatch = false;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(IdName))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                    {
                        Utf8Parser.TryParse(reader.ValueSpan, out id, out _);
                    }
                }
                else if (reader.ValueTextEquals(SentName))
                {
                    reader.Read();
                    reader.TryGetInt64(out sent);
                }
                else if (reader.ValueTextEquals(FilteredName))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var depth = reader.CurrentDepth;
                        reader.Read();
                        filterMatch = reader.TokenType != JsonTokenType.EndArray;
                        while (reader.TokenType != JsonTokenType.EndArray || reader.CurrentDepth != depth)
                        {
                            reader.Read();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        status = new DeliveredStatus(id, sent, filterMatch);
        return id >= 0 && sent >= 0;
    }

    /// <summary>
    /// Extracts an <c>update</c> status from a WebSocket frame. <paramref name="scratch"/> receives the unescaped
    /// payload and is grown when too small, so each client reuses one buffer.
    /// </summary>
    public static bool TryParseWebSocketFrame(ReadOnlySpan<byte> frame, ref byte[] scratch, out DeliveredStatus status)
    {
        status = default;
        var isUpdate = false;
        var payloadLength = -1;
        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(EventName))
                {
                    reader.Read();
                    isUpdate = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(UpdateEvent);
                }
                else if (reader.ValueTextEquals(PayloadName))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        // Unescaped text is never longer than the escaped text.
                        var needed = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (scratch.Length < needed)
                        {
                            scratch = new byte[Math.Max(needed, scratch.Length * 2)];
                        }

                        payloadLength = reader.CopyString(scratch);
                    }
                    else if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        // Not Mastodon's wire format, but parse a bare object too rather than miscount it.
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var slice = frame[start..((int)reader.BytesConsumed)];
                        if (scratch.Length < slice.Length)
                        {
                            scratch = new byte[slice.Length];
                        }

                        slice.CopyTo(scratch);
                        payloadLength = slice.Length;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return isUpdate && payloadLength > 0 && TryParseStatus(scratch.AsSpan(0, payloadLength), out status);
    }
}
