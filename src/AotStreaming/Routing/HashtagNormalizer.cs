namespace AotStreaming.Routing;

internal static class HashtagNormalizer
{
    public static string Normalize(string tag) => tag.ToLowerInvariant();
}
