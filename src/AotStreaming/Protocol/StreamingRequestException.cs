namespace AotStreaming.Protocol;

/// <summary>
/// An error with upstream's exact client-facing text and status (reference §2.4): 400 for request errors, 401 for
/// authentication errors. Anything else becomes 500 "An unexpected error occurred".
/// </summary>
internal sealed class StreamingRequestException(int status, string message) : Exception(message)
{
    public const string Unexpected = "An unexpected error occurred";

    public int Status { get; } = status;

    public static StreamingRequestException MissingToken() => new(401, "Missing access token");

    public static StreamingRequestException InvalidToken() => new(401, "Invalid access token");

    public static StreamingRequestException MissingScopes() => new(401, "Access token does not have the required scopes");

    public static StreamingRequestException UnknownChannel() => new(400, "Unknown channel requested");

    public static StreamingRequestException UnknownStream() => new(400, "Unknown stream type");
}
