using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>
/// The whole HTTP surface in upstream's order (reference §2.1): request id, upgrades on any path, CORS,
/// favicon/health/metrics (routed as Express routes them), then the SSE channel paths (unknown paths are 400
/// before authentication).
/// </summary>
internal sealed class StreamingRequestHandler(
    WebSocketEndpoint webSockets,
    ServerSentEventsEndpoint serverSentEvents,
    PrometheusEndpoint metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["X-Request-Id"] = requestId;
        context.TraceIdentifier = requestId;
        if (WebSocketHandshake.IsUpgradeRequest(context.Request))
        {
            return webSockets.HandleAsync(context);
        }

        context.Response.Headers.AccessControlAllowOrigin = "*";
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            HttpResponses.NoContentOptions(context);
            return Task.CompletedTask;
        }

        var path = context.Request.Path.Value;
        var isGet = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        if (isGet)
        {
            if (IsRoute(path, "/favicon.ico"))
            {
                context.Response.StatusCode = 404;
                context.Response.ContentLength = 0;
                return Task.CompletedTask;
            }

            if (IsRoute(path, "/api/v1/streaming/health"))
            {
                return HttpResponses.HealthAsync(context);
            }

            if (IsRoute(path, "/metrics"))
            {
                return metrics.WriteAsync(context);
            }
        }

        return serverSentEvents.HandleAsync(context);
    }

    /// <summary>
    /// Express' default routing for <c>app.get(route)</c>: case-insensitive, and one trailing slash allowed
    /// (non-strict). The SSE channel paths are not routes of their own upstream (an exact switch on the path), so
    /// they stay exact (reference §2.2).
    /// </summary>
    internal static bool IsRoute(string? path, string route) =>
        path is not null
        && path.StartsWith(route, StringComparison.OrdinalIgnoreCase)
        && (path.Length == route.Length || (path.Length == route.Length + 1 && path[^1] == '/'));
}
