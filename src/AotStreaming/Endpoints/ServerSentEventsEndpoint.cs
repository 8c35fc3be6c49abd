using System.Buffers;
using AotStreaming.Auth;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using AotStreaming.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>The nine SSE paths (reference §2.2, §2.3, §2.5), in upstream's processing order.</summary>
internal sealed class ServerSentEventsEndpoint(
    TokenAuthenticator authenticator,
    ChannelResolver resolver,
    DispatcherPool dispatchers,
    SubscriptionIndex index,
    ConnectionTracker tracker,
    ConnectionLimiter limiter,
    StreamingMetrics metrics,
    IOptions<DeliveryOptions> deliveryOptions,
    ILogger<ServerSentEventsEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var onlyMedia = request.Query["only_media"] is { Count: > 0 } media && (media.Count > 1 || QueryTruthiness.IsTruthy(media[0]));
        var channelName = ChannelResolver.ChannelForPath(request.Path.Value ?? "", onlyMedia);
        if (channelName is null)
        {
            await HttpResponses.JsonErrorAsync(context, 400, "Unknown channel requested");
            return;
        }

        SseClient connection;
        Subscription subscription;
        try
        {
            var user = await authenticator.AuthenticateAsync(request, context.RequestAborted);
            if (!user.CanRead(channelName))
            {
                throw StreamingRequestException.MissingScopes();
            }

            connection = new SseClient(context, user, deliveryOptions.Value, metrics);
            var parameters = new StreamParameters(QueryParameter(request, "tag"), QueryParameter(request, "list"));
            subscription = await resolver.ResolveAsync(connection, channelName, parameters, context.RequestAborted);
        }
        catch (Exception ex) when (RequestFailure.IsAnswerable(ex, context))
        {
            var failure = RequestFailure.From(ex, context, logger);
            await HttpResponses.JsonErrorAsync(context, failure.Status, failure.Message);
            return;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (limiter.TryEnter(context, out var address) is { } refusal)
        {
            await HttpResponses.JsonErrorAsync(context, 429, refusal);
            return;
        }

        try
        {
            await StreamAsync(context, connection, subscription);
        }
        finally
        {
            limiter.Leave(address);
        }
    }

    private async Task StreamAsync(HttpContext context, SseClient connection, Subscription subscription)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "private, no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // With a size hint: before the response starts, Kestrel rents the body's buffer from the connection's memory
        // pool with the hint as the minimum, and the pool of connections created through StreamingTransport (the
        // shared array pool) answers a hint of 0 with an empty buffer.
        var preface = response.BodyWriter.GetSpan(SseFrames.Preface.Length);
        SseFrames.Preface.CopyTo(preface);
        response.BodyWriter.Advance(SseFrames.Preface.Length);
        await response.BodyWriter.FlushAsync(context.RequestAborted);

        var subscriptions = new SubscriptionSet(dispatchers, index, metrics);
        tracker.Opened(connection, subscription.ChannelName);
        using var aborted = context.RequestAborted.Register(static state => ((ClientConnection)state!).Abort(), connection);
        try
        {
            await subscriptions.AddAsync(ChannelResolver.System(connection));
            await subscriptions.AddAsync(subscription);
            await connection.RunWriterAsync();
        }
        finally
        {
            await subscriptions.RemoveAllAsync();
            tracker.Closed(connection);
        }
    }

    private static ParameterValue QueryParameter(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count switch
        {
            0 => ParameterValue.Absent,
            // A repeated parameter is an array upstream: not a string.
            > 1 => new ParameterValue(ParameterKind.Other, null, null),
            _ => ParameterValue.FromString(values[0]),
        };
    }
}
