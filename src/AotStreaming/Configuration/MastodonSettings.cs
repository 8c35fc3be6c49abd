using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace AotStreaming.Configuration;

/// <summary>
/// Everything the Node server reads from its environment, resolved once at startup by
/// <see cref="MastodonEnvironment"/>. Our own tunables live in the options classes instead.
/// </summary>
public sealed record MastodonSettings
{
    /// <summary><c>NODE_ENV</c>: <c>production</c> or <c>development</c> (or anything, with <c>DATABASE_URL</c>).</summary>
    public required string Environment { get; init; }

    public required LogLevel LogLevel { get; init; }

    /// <summary><c>SOCKET</c>: a Unix socket path; when set, <see cref="Bind"/> and <see cref="Port"/> are unused.</summary>
    public string? SocketPath { get; init; }

    public required string Bind { get; init; }

    public required int Port { get; init; }

    /// <summary><c>TRUSTED_PROXY_IP</c> entries (IPs or CIDRs); empty means loopback and unique-local.</summary>
    public required IReadOnlyList<string> TrustedProxies { get; init; }

    public required string PostgresConnectionString { get; init; }

    public required ConfigurationOptions Redis { get; init; }

    /// <summary>How <c>rediss://</c> certificates are verified (system store plus <c>NODE_EXTRA_CA_CERTS</c>).</summary>
    internal RedisCertificateTrust RedisTrust { get; init; } = RedisCertificateTrust.SystemOnly;

    /// <summary><c>REDIS_NAMESPACE</c>, or null.</summary>
    public string? RedisNamespace { get; init; }

    /// <summary>Human-readable Redis target for logs (never includes the password).</summary>
    public required string RedisDescription { get; init; }

    /// <summary>The dotenv file that was loaded, if any.</summary>
    public string? EnvFileLoaded { get; init; }

    public string ListenDescription => SocketPath ?? $"{Bind}:{Port}";

    public string PostgresDescription
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
            return $"{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
    }
}
