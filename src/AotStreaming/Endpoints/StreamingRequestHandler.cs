using AotStreaming.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>
/// The whole HTTP surface in upstream's order (reference §2.1): request id, upgrades on any path, CORS,
/// favicon/health/metrics, then the SSE channel paths (unknown paths are 400 before authentication).
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
        if (context.Request.Headers.Upgrade.Count > 0)
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
            switch (path)
            {
                case "/favicon.ico":
                    context.Response.StatusCode = 404;
                    context.Response.ContentLength = 0;
                    return Task.CompletedTask;
                case "/api/v1/streaming/health":
                    return HttpResponses.HealthAsync(context);
                case "/metrics":
                    return metrics.WriteAsync(context);
            }
        }

        return serverSentEvents.HandleAsync(context);
    }
}
