using System.Text;
using System.Text.Json;
using AotStreaming.Routing;

namespace AotStreaming.Endpoints;

/// <summary>
/// A client message (reference §3.3): <c>{"type":"subscribe"|"unsubscribe","stream":..,"tag":..,"list":..}</c>.
/// Anything else (not JSON, not an object, another type) parses to null and is ignored, as upstream.
/// </summary>
internal sealed record ClientCommand(bool Subscribe, string? Stream, StreamParameters Parameters)
{
    public static ClientCommand? Parse(ReadOnlyMemory<byte> message)
    {
        try
        {
            using var document = JsonDocument.Parse(message, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var subscribe = type.ValueEquals("subscribe"u8);
            if (!subscribe && !type.ValueEquals("unsubscribe"u8))
            {
                return null;
            }

            string? stream = null;
            if (root.TryGetProperty("stream", out var streamElement))
            {
                // An array stream uses its first element only.
                var first = streamElement.ValueKind == JsonValueKind.Array && streamElement.GetArrayLength() > 0 ? streamElement[0] : streamElement;
                stream = first.ValueKind == JsonValueKind.String ? first.GetString() : null;
            }

            return new ClientCommand(subscribe, stream, new StreamParameters(Parameter(root, "tag"), Parameter(root, "list")));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ParameterValue Parameter(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return ParameterValue.Absent;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => ParameterValue.FromString(value.GetString()),
            JsonValueKind.Number => new ParameterValue(ParameterKind.Number, value.GetRawText(), Encoding.UTF8.GetBytes(value.GetRawText())),
            JsonValueKind.Null or JsonValueKind.Undefined => ParameterValue.Absent,
            _ => new ParameterValue(ParameterKind.Other, null, null),
        };
    }
}
