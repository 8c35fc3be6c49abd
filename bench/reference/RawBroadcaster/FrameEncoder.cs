using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RawBroadcaster;

/// <summary>
/// Turns one Redis message (<c>{"event":..,"payload":{..}}</c>) into the WebSocket text frame Mastodon clients get,
/// <c>{"stream":[..],"event":..,"payload":"&lt;json text&gt;"}</c>, header included: encoded once for every socket.
/// </summary>
internal sealed class FrameEncoder(string stream)
{
    // As JSON.stringify does: '<', '>' and '&' stay as they are (the default encoder would escape them as \u003C).
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _json = new(4096);

    public byte[]? TryEncode(ReadOnlySpan<byte> message)
    {
        string? eventName;
        string? payload;
        try
        {
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("event"u8, out var eventElement) || eventElement.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("payload"u8, out var payloadElement))
            {
                return null;
            }

            eventName = eventElement.GetString();
            payload = payloadElement.ValueKind == JsonValueKind.String ? payloadElement.GetString() : payloadElement.GetRawText();
        }
        catch (JsonException)
        {
            return null;
        }

        _json.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_json, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("stream"u8);
            writer.WriteStringValue(stream);
            writer.WriteEndArray();
            writer.WriteString("event"u8, eventName);
            writer.WriteString("payload"u8, payload);
            writer.WriteEndObject();
        }

        return Frame(_json.WrittenSpan);
    }

    /// <summary>FIN + text opcode, unmasked (server to client), with the shortest length encoding.</summary>
    private static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var headerLength = payload.Length switch
        {
            < 126 => 2,
            <= ushort.MaxValue => 4,
            _ => 10,
        };
        var frame = new byte[headerLength + payload.Length];
        frame[0] = 0x81;
        switch (headerLength)
        {
            case 2:
                frame[1] = (byte)payload.Length;
                break;
            case 4:
                frame[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        payload.CopyTo(frame.AsSpan(headerLength));
        return frame;
    }
}
