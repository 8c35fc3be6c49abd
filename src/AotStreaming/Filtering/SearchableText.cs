namespace AotStreaming.Filtering;

internal static class SearchableText
{
    public static string Extract(ReadOnlySpan<byte> statusPayloadJson) => "";
}
