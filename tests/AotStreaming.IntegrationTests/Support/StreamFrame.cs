using System.Text.Json;

namespace AotStreaming.Support;

/// <summary>One event as a client saw it: WebSocket JSON frame or SSE event, normalised.</summary>
public sealed record StreamFrame(string Event, string Payload, string? Stream)
{
    /// <summary>The status id for update / status.update, the payload itself for delete and other string payloads.</summary>
    public string Id => Event is "update" or "status.update" ? PayloadJson.GetProperty("id").GetString()! : Payload;

    public JsonElement PayloadJson => JsonDocument.Parse(Payload).RootElement.Clone();

    /// <summary>The raw JSON text of the payload's <c>filtered</c> member, or null when absent.</summary>
    public string? FilteredJson => PayloadJson.TryGetProperty("filtered", out var filtered) ? filtered.GetRawText() : null;

    /// <summary>Name of the payload object's last member (the server appends <c>filtered</c> last).</summary>
    public string LastMemberName => PayloadJson.EnumerateObject().Last().Name;
}
