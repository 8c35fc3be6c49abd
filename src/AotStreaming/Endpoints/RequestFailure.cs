using AotStreaming.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Endpoints;

/// <summary>
/// What a client is told when authenticating or resolving its request fails, for SSE and WebSocket alike
/// (reference §2.4, §3.1): a <see cref="StreamingRequestException"/> keeps its status and text and is logged as a
/// refusal; anything else is logged with its type and becomes 500 "An unexpected error occurred". The endpoints
/// only differ in how they write the answer (a JSON body, or a raw upgrade rejection).
/// </summary>
internal readonly record struct RequestFailure(int Status, string Message)
{
    /// <summary>
    /// Whether to answer at all: a request error always is; any other failure only while the client is still there
    /// (an aborted request makes the database calls throw, and nobody is left to tell).
    /// </summary>
    public static bool IsAnswerable(Exception ex, HttpContext context) =>
        ex is StreamingRequestException || !context.RequestAborted.IsCancellationRequested;

    /// <summary>Logs the failure under the request's id and returns what to answer.</summary>
    public static RequestFailure From(Exception ex, HttpContext context, ILogger logger)
    {
        if (ex is StreamingRequestException request)
        {
            logger.RequestRejected(context.TraceIdentifier, request.Status, request.Message);
            return new RequestFailure(request.Status, request.Message);
        }

        logger.RequestFailed(context.TraceIdentifier, ex.GetType().Name, ex.Message);
        return new RequestFailure(500, StreamingRequestException.Unexpected);
    }
}
