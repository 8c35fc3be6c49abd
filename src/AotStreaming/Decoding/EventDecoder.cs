using System.Text.Json;
using AotStreaming.Ingress;

namespace AotStreaming.Decoding;

/// <summary>
/// Parses a Redis message once (reference §6.1): <c>{"event":..,"payload":..}</c>. Messages that upstream would
/// not forward (no truthy <c>event</c>, or no truthy <c>payload</c>) decode to an event with
/// <see cref="DecodeResult.NotDeliverable"/> so system listeners still see <c>kill</c> and <c>filters_changed</c>.
/// </summary>
internal static class EventDecoder
{
    public static DecodeResult Decode(in RawEvent raw, out StreamEvent? decoded)
    {
        decoded = null;
        // Once per message, before parsing: every payload slice below then points into valid UTF-8.
        var json = Utf8Sanitizer.Sanitize(raw.Message);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return DecodeResult.NotAnEvent;
            }

            string? eventName = null;
            var kind = PayloadKind.Json;
            ReadOnlyMemory<byte> payload = default;
            var payloadTruthy = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("event"u8))
                {
                    reader.Read();
                    eventName = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("payload"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartObject or JsonTokenType.StartArray:
                            reader.Skip();
                            kind = PayloadKind.Json;
                            payload = json.AsMemory(start, (int)reader.BytesConsumed - start);
                            payloadTruthy = true;
                            break;
                        case JsonTokenType.String:
                            kind = PayloadKind.String;
                            payload = reader.ValueIsEscaped
                                ? System.Text.Encoding.UTF8.GetBytes(reader.GetString()!)
                                : json.AsMemory(start + 1, reader.ValueSpan.Length);
                            payloadTruthy = payload.Length > 0;
                            break;
                        case JsonTokenType.Number:
                            kind = PayloadKind.Bare;
                            payload = json.AsMemory(start, reader.ValueSpan.Length);
                            payloadTruthy = reader.TryGetDouble(out var d) && d != 0 && !double.IsNaN(d);
                            break;
                        case JsonTokenType.True:
                            kind = PayloadKind.Bare;
                            payload = "true"u8.ToArray();
                            payloadTruthy = true;
                            break;
                        default:
                            payloadTruthy = false;
                            break;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (string.IsNullOrEmpty(eventName))
            {
                return DecodeResult.NotAnEvent;
            }

            decoded = new StreamEvent
            {
                Channel = raw.Channel,
                EventName = eventName,
                PayloadKind = kind,
                Payload = payload,
                ReceivedTimestamp = raw.ReceivedTimestamp,
            };
            return payloadTruthy ? DecodeResult.Deliverable : DecodeResult.NotDeliverable;
        }
        catch (JsonException)
        {
            return DecodeResult.Malformed;
        }
        catch (InvalidOperationException)
        {
            return DecodeResult.Malformed;
        }
    }
}

internal enum DecodeResult
{
    /// <summary>Forwarded to subscribers.</summary>
    Deliverable,

    /// <summary>Has an event but no truthy payload: only system listeners act on it (kill, filters_changed).</summary>
    NotDeliverable,

    /// <summary>Valid JSON but not an object with an event name: dropped silently, as upstream.</summary>
    NotAnEvent,

    /// <summary>Not JSON: counted, logged at debug, dropped (invalid UTF-8 was already replaced with U+FFFD).</summary>
    Malformed,
}
