using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace AotStreaming.Configuration;

/// <summary>
/// Maps the Node server's Redis variables onto StackExchange.Redis options (reference §8.4).
/// First match wins: <c>REDIS_URL</c>, then Sentinel, then host and port.
/// </summary>
internal static class RedisEnvironment
{
    public static (ConfigurationOptions Options, string Description, RedisCertificateTrust Trust) Build(EnvironmentReader env)
    {
        var options = new ConfigurationOptions
        {
            // Start even when Redis is down and keep retrying: clients get health and errors, not a crash loop.
            AbortOnConnectFail = false,
            ConnectRetry = 3,
            ConnectTimeout = 5000,
            ClientName = "aot-streaming",
        };

        // REDIS_USER is what Rails reads and what 4.3.1 says streaming reads; REDIS_USERNAME is the older name.
        var user = env.NonEmpty("REDIS_USER") ?? env.NonEmpty("REDIS_USERNAME");
        var password = env.NonEmpty("REDIS_PASSWORD");

        if (env.NonEmpty("REDIS_URL") is { } url)
        {
            ApplyUrl(options, url);
            var trust = RedisCertificateTrust.SystemOnly;
            if (options.Ssl)
            {
                // Read only for rediss://: a stale NODE_EXTRA_CA_CERTS meant for something else must not stop startup.
                trust = env.NonEmpty("NODE_EXTRA_CA_CERTS") is { } caFile ? RedisCertificateTrust.FromPemFile(caFile) : trust;
                options.CertificateValidation += trust.Validate;
            }

            var extra = trust.ExtraRootCount > 0 ? $" (+{trust.ExtraRootCount} CA from NODE_EXTRA_CA_CERTS)" : "";
            return (options, "REDIS_URL " + PostgresEnvironment.Redact(url) + extra, trust);
        }

        var sentinels = env.NonEmpty("REDIS_SENTINELS");
        var master = env.NonEmpty("REDIS_SENTINEL_MASTER");
        if (sentinels is not null && master is not null)
        {
            var sentinelPort = env.Int("REDIS_SENTINEL_PORT", 26379);
            foreach (var entry in sentinels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Split on the first ':' as upstream does (bare IPv6 addresses are not supported there either).
                var colon = entry.IndexOf(':', StringComparison.Ordinal);
                var host = colon < 0 ? entry : entry[..colon];
                var port = colon < 0 ? sentinelPort : ParsePort(entry[(colon + 1)..], "REDIS_SENTINELS", entry);
                options.EndPoints.Add(host, port);
            }

            options.ServiceName = master;
            options.DefaultDatabase = env.Int("REDIS_DB", 0);
            options.User = user;
            options.Password = password;
            return (options, $"sentinel {sentinels} master {master}", RedisCertificateTrust.SystemOnly);
        }

        var redisHost = env.Raw("REDIS_HOST") ?? "127.0.0.1";
        var redisPort = env.Int("REDIS_PORT", 6379);
        options.EndPoints.Add(redisHost, redisPort);
        options.DefaultDatabase = env.Int("REDIS_DB", 0);
        options.User = user;
        options.Password = password;
        return (options, $"{redisHost}:{redisPort}/{options.DefaultDatabase}", RedisCertificateTrust.SystemOnly);
    }

    private static ConfigurationOptions ApplyUrl(ConfigurationOptions options, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ConfigurationException($"Invalid REDIS_URL environment variable: {PostgresEnvironment.Redact(url)}");
        }

        switch (uri.Scheme)
        {
            case "redis":
            case "rediss":
                if (uri.Host.Length == 0)
                {
                    throw new ConfigurationException($"Invalid REDIS_URL environment variable: {PostgresEnvironment.Redact(url)}");
                }

                options.EndPoints.Add(uri.Host.Trim('[', ']'), uri.Port > 0 ? uri.Port : 6379);
                options.Ssl = uri.Scheme == "rediss";
                var db = uri.AbsolutePath.Trim('/');
                if (db.Length > 0)
                {
                    options.DefaultDatabase = int.TryParse(db, out var n) && n >= 0
                        ? n
                        : throw new ConfigurationException($"Invalid REDIS_URL environment variable: database '{db}' is not a number");
                }

                break;
            case "unix":
                if (uri.AbsolutePath.Length <= 1)
                {
                    throw new ConfigurationException($"Invalid REDIS_URL environment variable: {PostgresEnvironment.Redact(url)}");
                }

                options.EndPoints.Add(new UnixDomainSocketEndPoint(Uri.UnescapeDataString(uri.AbsolutePath)));
                var query = PostgresEnvironment.QueryParameters(uri.Query);
                if (query.TryGetValue("db", out var unixDb) && int.TryParse(unixDb, out var unixDbNumber))
                {
                    options.DefaultDatabase = unixDbNumber;
                }

                break;
            default:
                throw new ConfigurationException($"Invalid REDIS_URL environment variable: unsupported scheme '{uri.Scheme}'");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo.Length == 2)
        {
            if (userInfo[0].Length > 0)
            {
                options.User = Uri.UnescapeDataString(userInfo[0]);
            }

            options.Password = Uri.UnescapeDataString(userInfo[1]);
        }
        else if (userInfo[0].Length > 0)
        {
            // ioredis reads a lone "redis://secret@host" user-info as the password.
            options.Password = Uri.UnescapeDataString(userInfo[0]);
        }

        return options;
    }

    private static int ParsePort(string text, string variable, string value) =>
        int.TryParse(text, out var port) && port is > 0 and < 65536
            ? port
            : throw new ConfigurationException($"Invalid {variable} environment variable: {value}");
}
