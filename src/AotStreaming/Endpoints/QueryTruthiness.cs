namespace AotStreaming.Endpoints;

/// <summary>
/// Upstream's <c>isTruthy</c> for query parameters such as <c>only_media</c> (reference §2.2). The list of false
/// spellings is case-sensitive on purpose: <c>False</c> and <c>Off</c> count as true upstream.
/// </summary>
internal static class QueryTruthiness
{
    public static bool IsTruthy(string? value) =>
        !string.IsNullOrEmpty(value) && value is not ("false" or "0" or "f" or "F" or "FALSE" or "off" or "OFF");
}
