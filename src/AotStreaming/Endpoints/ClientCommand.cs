using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using AotStreaming.Protocol;

namespace AotStreaming.Endpoints;

/// <summary>
/// A client message (reference §3.3): <c>{"type":"subscribe"|"unsubscribe","stream":..,"tag":..,"list":..}</c>.
/// Anything else (not JSON, not an object, another type) parses to null and is ignored, as upstream. What
/// <c>JSON.parse</c> accepts is accepted here too: deep nesting (up to <see cref="MaxDepth"/>), and lone surrogate
/// escapes (issue 10 items 8, 12).
/// </summary>
internal sealed record ClientCommand(bool Subscribe, string? Stream, StreamParameters Parameters)
{
    /// <summary>
    /// V8's JSON.parse has no depth limit, but JsonDocument finds the start of each closing container by scanning
    /// back, so its cost grows with the square of the depth (100,000 levels took 29 s). 256 levels is far past any
    /// real command (a subscribe nests one or two) and costs under a millisecond; deeper is ignored like non-JSON.
    /// </summary>
    public const int MaxDepth = 256;

    public static ClientCommand? Parse(ReadOnlyMemory<byte> message)
    {
        // The WebSocket layer already closes on invalid UTF-8 (1007); checking again keeps the one remaining way for
        // JsonElement.GetString to throw (invalid UTF-8 inside a string) out of this method without catching it.
        if (!Utf8.IsValid(message.Span))
        {
            return null;
        }

        if (LoneSurrogateEscapes.Replace(message.Span) is { } replaced)
        {
            message = replaced;
        }

        try
        {
            using var document = JsonDocument.Parse(message, new JsonDocumentOptions { MaxDepth = MaxDepth });
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
            // Not JSON: upstream logs it and carries on; so do we, without the log line a client could flood.
            return null;
        }
    }

    /// <summary>
    /// Upstream checks <c>if (!params.tag)</c> and <c>if (!params.list)</c>: every falsy value (<c>0</c>, <c>-0</c>,
    /// <c>false</c>, <c>null</c>, <c>""</c>) is a missing parameter, so it is read as absent here.
    /// </summary>
    private static ParameterValue Parameter(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return ParameterValue.Absent;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => ParameterValue.FromString(value.GetString()),
            // A number too small for a double (1e-400) is 0 in JavaScript too; one too large is Infinity, truthy.
            JsonValueKind.Number when value.TryGetDouble(out var number) && number == 0 => ParameterValue.Absent,
            JsonValueKind.Number => new ParameterValue(ParameterKind.Number, value.GetRawText(), Encoding.UTF8.GetBytes(value.GetRawText())),
            JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => ParameterValue.Absent,
            _ => new ParameterValue(ParameterKind.Other, null, null),
        };
    }
}
