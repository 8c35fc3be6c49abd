using System.Text;
using AotStreaming.Serialization;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Endpoints;

/// <summary>The plain HTTP answers of reference §2: JSON errors, health, the WebSocket rejection.</summary>
internal static class HttpResponses
{
    public static Task JsonErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        // Exactly "application/json", no charset; no Content-Length, so the body is chunked as upstream's.
        context.Response.Headers.ContentType = "application/json";
        var body = Encoding.UTF8.GetString(JsonStringLiteral.Encode(message));
        return context.Response.WriteAsync($"{{\"error\":{body}}}");
    }

    public static async Task HealthAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.Headers.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "private, no-store";
        await context.Response.StartAsync();
        await context.Response.Body.WriteAsync("OK"u8.ToArray());
    }

    /// <summary>The upgrade rejection of §3.1: status, <c>X-Error-Message</c>, empty body, connection closed.</summary>
    public static Task RejectUpgrade(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        context.Response.Headers.ContentType = "text/plain";
        context.Response.Headers["X-Error-Message"] = message;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>
    /// A handshake ws refuses, as its <c>abortHandshake</c> writes it: status, <c>Connection: close</c>,
    /// <c>Content-Type: text/html</c> (ws' choice, for a plain-text reason), the reason as the body; then the
    /// connection is closed. A bad version also names the one supported (RFC 6455 §4.4).
    /// </summary>
    public static Task RejectHandshakeAsync(HttpContext context, WebSocketHandshake.Rejection rejection)
    {
        var response = context.Response;
        response.StatusCode = rejection.Status;
        response.Headers.Connection = "close";
        response.Headers.ContentType = "text/html";
        if (rejection.NamesVersion)
        {
            response.Headers.SecWebSocketVersion = WebSocketHandshake.SupportedVersion;
        }

        var body = Encoding.UTF8.GetBytes(rejection.Reason);
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    public static void NoContentOptions(HttpContext context)
    {
        context.Response.StatusCode = 204;
        context.Response.Headers.AccessControlAllowMethods = "GET,HEAD,PUT,PATCH,POST,DELETE";
        var requested = context.Request.Headers.AccessControlRequestHeaders;
        if (requested.Count > 0)
        {
            context.Response.Headers.AccessControlAllowHeaders = requested;
            context.Response.Headers.Vary = "Access-Control-Request-Headers";
        }

        context.Response.ContentLength = 0;
    }
}
