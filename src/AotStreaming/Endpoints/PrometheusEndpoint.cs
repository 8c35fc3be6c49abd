using System.Text;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Ingress;
using AotStreaming.Postgres;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using Microsoft.AspNetCore.Http;
using static AotStreaming.Diagnostics.PrometheusText;

namespace AotStreaming.Endpoints;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format 0.0.4 (reference §9): upstream's series with their exact names,
/// types and help texts, then <c>process_*</c>, then ours (<c>aot_streaming_*</c>). An endpoint because it reads
/// every stage's state; the text format itself is <see cref="PrometheusText"/>.
/// </summary>
internal sealed class PrometheusEndpoint(
    StreamingMetrics metrics,
    ConnectionRegistry registry,
    RedisEventSource redis,
    DispatcherPool dispatchers,
    SubscriptionIndex index,
    PostgresPoolStatistics poolStatistics)
{
    private static readonly string[] s_types = ["websocket", "eventsource"];

    public async Task WriteAsync(HttpContext context)
    {
        var text = Render();
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = 200;
        context.Response.Headers.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.Headers.CacheControl = "private, no-store";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    internal string Render()
    {
        var b = new StringBuilder(8192);
        Header(b, "connected_clients", "gauge", "The number of clients connected to the streaming server");
        for (var t = 0; t < 2; t++)
        {
            Line(b, "connected_clients", $"type=\"{s_types[t]}\"", metrics.ConnectedClients((Transport)t));
        }

        Header(b, "connected_channels", "gauge", "The number of channels the streaming server is streaming to");
        for (var t = 0; t < 2; t++)
        {
            for (var c = 0; c < StreamingMetrics.ChannelNames.Length; c++)
            {
                Line(b, "connected_channels", $"type=\"{s_types[t]}\",channel=\"{StreamingMetrics.ChannelNames[c]}\"", metrics.ConnectedChannels((Transport)t, c));
            }
        }

        Header(b, "redis_subscriptions", "gauge", "The number of Redis channels the streaming server is subscribed to");
        Line(b, "redis_subscriptions", null, metrics.RedisSubscriptions);
        Header(b, "redis_messages_received_total", "counter", "The total number of messages the streaming server has received from redis subscriptions");
        Line(b, "redis_messages_received_total", null, metrics.RedisMessagesReceived.Value);
        Header(b, "messages_sent_total", "counter", "The total number of messages the streaming server sent to clients per connection type");
        for (var t = 0; t < 2; t++)
        {
            Line(b, "messages_sent_total", $"type=\"{s_types[t]}\"", metrics.MessagesSent((Transport)t));
        }

        var pool = poolStatistics.Read();
        Header(b, "pg_pool_total_connections", "gauge", "The total number of clients existing within the pool");
        Line(b, "pg_pool_total_connections", null, pool.Idle + pool.Used);
        Header(b, "pg_pool_idle_connections", "gauge", "The number of clients which are not checked out but are currently idle in the pool");
        Line(b, "pg_pool_idle_connections", null, pool.Idle);
        Header(b, "pg_pool_waiting_queries", "gauge", "The number of queued requests waiting on a client when all clients are checked out");
        Line(b, "pg_pool_waiting_queries", null, pool.Pending);

        ProcessMetrics.Write(b);

        Header(b, "aot_streaming_redis_connected", "gauge", "1 while the Redis subscriber connection is up");
        Line(b, "aot_streaming_redis_connected", null, metrics.RedisConnected ? 1 : 0);
        Header(b, "aot_streaming_redis_channels", "gauge", "Redis channels with at least one local subscriber");
        Line(b, "aot_streaming_redis_channels", null, index.ChannelCount);
        Header(b, "aot_streaming_ingress_queue_depth", "gauge", "Redis messages waiting for the router");
        Line(b, "aot_streaming_ingress_queue_depth", null, redis.Events.Count);
        Header(b, "aot_streaming_ingress_dropped_total", "counter", "Redis messages shed because the ingress queue was full");
        Line(b, "aot_streaming_ingress_dropped_total", null, metrics.IngressDropped.Value);
        Header(b, "aot_streaming_redis_malformed_total", "counter", "Redis messages that were not valid JSON and were skipped");
        Line(b, "aot_streaming_redis_malformed_total", null, metrics.MalformedRedisMessages.Value);
        Header(b, "aot_streaming_redis_oversized_total", "counter", "Redis messages above Ingress:MaxMessageBytes that were skipped");
        Line(b, "aot_streaming_redis_oversized_total", null, metrics.OversizedRedisMessages.Value);
        Header(b, "aot_streaming_dispatcher_queue_depth", "gauge", "Commands waiting in dispatcher inboxes");
        Line(b, "aot_streaming_dispatcher_queue_depth", null, dispatchers.TotalQueueDepth());
        var (frames, bytes) = registry.QueuedTotals();
        Header(b, "aot_streaming_outbox_frames", "gauge", "Frames queued in all client outboxes");
        Line(b, "aot_streaming_outbox_frames", null, frames);
        Header(b, "aot_streaming_outbox_bytes", "gauge", "Bytes queued in all client outboxes");
        Line(b, "aot_streaming_outbox_bytes", null, bytes);
        Header(b, "aot_streaming_disconnects_total", "counter", "Closed client connections by reason");
        foreach (var reason in Enum.GetValues<DisconnectReason>())
        {
            Line(b, "aot_streaming_disconnects_total", $"reason=\"{ReasonLabel(reason)}\"", metrics.Disconnects(reason));
        }

        Header(b, "aot_streaming_rejected_connections_total", "counter", "Connections refused by a connection limit");
        Line(b, "aot_streaming_rejected_connections_total", null, metrics.RejectedConnections.Value);
        Header(b, "aot_streaming_rejected_subscriptions_total", "counter", "Client messages refused by a subscription, size or rate limit");
        Line(b, "aot_streaming_rejected_subscriptions_total", null, metrics.RejectedSubscriptions.Value);
        Header(b, "aot_streaming_filter_queries_total", "counter", "Database queries run by public and hashtag filtering");
        Line(b, "aot_streaming_filter_queries_total", null, metrics.FilterQueries.Value);
        Header(b, "aot_streaming_filter_failures_total", "counter", "Statuses dropped because a filter query failed (fail closed)");
        Line(b, "aot_streaming_filter_failures_total", null, metrics.FilterQueryFailures.Value);
        Header(b, "aot_streaming_db_connect_queries_waiting", "gauge", "Token, list and settings queries waiting for their half of the database pool");
        Line(b, "aot_streaming_db_connect_queries_waiting", null, metrics.ConnectQueriesWaitingCount);
        WriteHistogram(b, "aot_streaming_db_query_duration_seconds", "Duration of database queries", metrics.QueryDuration);
        WriteHistogram(b, "aot_streaming_message_recipients", "Subscriptions each Redis message was routed to", metrics.RecipientsPerMessage);
        WriteHistogram(b, "aot_streaming_message_audience_ratio", "Recipients of each Redis message as a share of connected clients", metrics.AudienceShare);
        WriteHistogram(b, "aot_streaming_enqueue_latency_seconds", "Time from Redis receipt until a dispatcher enqueued the message for all its recipients", metrics.RedisToEnqueue);
        WriteHistogram(b, "aot_streaming_write_latency_seconds", "Time from Redis receipt until the frame was written to a client socket", metrics.RedisToSocketWrite);
        return b.ToString();
    }
}
