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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AotStreaming.Hosting;

/// <summary>The only place that knows every service and options type.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Registers the streaming pipeline, its options (bound from appsettings.json) and their validators.</summary>
    public static IServiceCollection AddAotStreaming(this IServiceCollection services, MastodonSettings settings)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidator>();
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DispatchOptions>, DispatchOptionsValidator>();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddOptions<PostgresOptions>().BindConfiguration(PostgresOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresOptions>, PostgresOptionsValidator>();
        services.AddOptions<IngressOptions>().BindConfiguration(IngressOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngressOptions>, IngressOptionsValidator>();

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
            var dispatch = sp.GetRequiredService<IOptions<DispatchOptions>>().Value;
            return new IngressSizes(
                dispatch.IngressCapacity,
                TimeSpan.FromSeconds(dispatch.PresenceKeyTtlSeconds),
                TimeSpan.FromSeconds(dispatch.PresenceKeyRefreshSeconds));
        });
        services.AddSingleton<RedisEventSource>();
        services.AddSingleton<IEventSource>(sp => sp.GetRequiredService<RedisEventSource>());
        services.AddSingleton(sp => new SubscriptionIndex(
            sp.GetRequiredService<RedisEventSource>(),
            sp.GetRequiredService<IOptions<DispatchOptions>>().Value.EffectiveDispatcherCount));
        services.AddSingleton<StatusFilterStage>();
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
        services.AddSingleton<ServerSentEventsEndpoint>();
        services.AddSingleton<PrometheusEndpoint>();
        services.AddSingleton<StreamingRequestHandler>();
        services.AddHostedService<StreamingService>();
        return services;
    }
}
