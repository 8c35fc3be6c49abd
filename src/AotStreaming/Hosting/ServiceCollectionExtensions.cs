using AotStreaming.Auth;
using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using AotStreaming.Filtering;
using AotStreaming.Ingress;
using AotStreaming.Postgres;
using AotStreaming.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AotStreaming.Hosting;

/// <summary>The only place that knows every service and options type.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the streaming pipeline and its options: the instances <see cref="OptionsCheck"/> bound and
    /// validated, served as <c>IOptions&lt;T&gt;</c> (no second binding, no second validation).
    /// </summary>
    internal static IServiceCollection AddAotStreaming(this IServiceCollection services, MastodonSettings settings, CheckedOptions options)
    {
        services.AddSingleton(Options.Create(options.Delivery));
        services.AddSingleton(Options.Create(options.Dispatch));
        services.AddSingleton(Options.Create(options.Limits));
        services.AddSingleton(Options.Create(options.Postgres));
        services.AddSingleton(Options.Create(options.Ingress));

        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StreamingMetrics>();
        services.AddSingleton(_ =>
        {
            var builder = new NpgsqlSlimDataSourceBuilder(settings.PostgresConnectionString);
            builder.EnableArrays();
            return builder.Build();
        });
        services.AddSingleton<StreamingDatabase>();
        services.AddSingleton<PostgresPoolStatistics>();
        services.AddSingleton(sp =>
        {
            var dispatch = options.Dispatch;
            return new IngressSizes(
                dispatch.IngressCapacity,
                TimeSpan.FromSeconds(dispatch.PresenceKeyTtlSeconds),
                TimeSpan.FromSeconds(dispatch.PresenceKeyRefreshSeconds));
        });
        services.AddSingleton<RedisEventSource>();
        services.AddSingleton<IEventSource>(sp => sp.GetRequiredService<RedisEventSource>());
        services.AddSingleton(sp => new SubscriptionIndex(
            sp.GetRequiredService<RedisEventSource>(),
            options.Dispatch.EffectiveDispatcherCount));
        services.AddSingleton<IStatusFilter, StatusFilterStage>();
        services.AddSingleton<DispatcherPool>();
        services.AddSingleton<IDispatcherInboxes>(sp => sp.GetRequiredService<DispatcherPool>());
        services.AddSingleton<Router>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ConnectionTracker>();
        services.AddSingleton<SseHeartbeat>();
        services.AddSingleton<WriteWatchdog>();
        services.AddSingleton<WebSocketPinger>();
        services.AddSingleton<ClientAddress>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<TokenAuthenticator>();
        services.AddSingleton<ChannelResolver>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<ConnectionUpgrade>();
        // Registered after Kestrel's socket transport, so Kestrel binds through it (the last transport that can bind wins).
        services.AddSingleton<StreamingTransport>();
        services.AddSingleton<IConnectionListenerFactory>(static s => s.GetRequiredService<StreamingTransport>());
        services.AddSingleton<ServerSentEventsEndpoint>();
        services.AddSingleton<PrometheusEndpoint>();
        services.AddSingleton<StreamingRequestHandler>();
        services.AddHostedService<StreamingService>();
        return services;
    }
}
