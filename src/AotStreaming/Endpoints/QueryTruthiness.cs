namespace AotStreaming.Endpoints;

internal static class QueryTruthiness
{
    public static bool IsTruthy(string? value) => !string.IsNullOrEmpty(value) && value is not ("false" or "0" or "f" or "F" or "FALSE" or "off" or "OFF");
}
