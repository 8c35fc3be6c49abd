using Npgsql;

namespace AotStreaming.Configuration;

/// <summary>Maps <c>DATABASE_URL</c> or <c>DB_*</c> onto an Npgsql connection string (reference §8.2).</summary>
internal static class PostgresEnvironment
{
    public static string Build(EnvironmentReader env, string environment, PostgresOptions options)
    {
        // Checked before Npgsql sees them: its setters throw ArgumentOutOfRangeException, which names neither
        // the variable nor the value.
        var pool = env.Int("DB_POOL", 10);
        if (pool < 1)
        {
            env.Report($"Invalid DB_POOL environment variable: {env.Raw("DB_POOL")}");
            pool = 10;
        }

        var b = new NpgsqlConnectionStringBuilder
        {
            MaxPoolSize = pool,
            // Empty on purpose, as upstream: a non-empty application_name costs PgBouncer CPU (mastodon#23958).
            ApplicationName = "",
            Timeout = options.ConnectTimeoutSeconds,
            CommandTimeout = options.CommandTimeoutSeconds,
            // Filter and auth queries are tiny; no statement needs more than one round-trip.
            NoResetOnClose = true,
        };

        var url = env.NonEmpty("DATABASE_URL");
        if (url is not null)
        {
            ApplyUrl(b, url);
            if (string.IsNullOrEmpty(b.Password) && env.NonEmpty("DB_PASS") is { } pass)
            {
                b.Password = pass;
            }
        }
        else
        {
            var production = environment == "production";
            if (!production && environment != "development")
            {
                throw new ConfigurationException("Unable to resolve postgresql database configuration.");
            }

            b.Host = env.NonEmpty("DB_HOST") ?? "localhost";
            var port = env.Int("DB_PORT", 5432);
            if (port is < 1 or > 65535)
            {
                env.Report($"Invalid DB_PORT environment variable: {env.Raw("DB_PORT")}");
                port = 5432;
            }

            b.Port = port;
            b.Username = env.NonEmpty("DB_USER") ?? (production ? "mastodon" : System.Environment.UserName);
            if (env.NonEmpty("DB_PASS") is { } pass)
            {
                b.Password = pass;
            }

            b.Database = env.NonEmpty("DB_NAME") ?? (production ? "mastodon_production" : "mastodon_development");
            ApplySslMode(b, env.NonEmpty("DB_SSLMODE"));
        }

        return b.ConnectionString;
    }

    private static void ApplyUrl(NpgsqlConnectionStringBuilder b, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "postgres" && uri.Scheme != "postgresql"))
        {
            throw new ConfigurationException($"Invalid DATABASE_URL environment variable: {Redact(url)}");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            b.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            b.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        var query = QueryParameters(uri.Query);
        // postgres:///db?host=/var/run/postgresql is the usual Unix-socket form.
        b.Host = uri.Host.Length > 0 ? Uri.UnescapeDataString(uri.Host) : query.GetValueOrDefault("host", "localhost");
        b.Port = uri.Port > 0 ? uri.Port : 5432;
        var db = uri.AbsolutePath.TrimStart('/');
        if (db.Length > 0)
        {
            b.Database = Uri.UnescapeDataString(db);
        }

        ApplySslMode(b, query.GetValueOrDefault("sslmode"));
    }

    /// <summary>
    /// Upstream semantics: unset, empty or <c>disable</c> is plain; <c>no-verify</c> is TLS without verification;
    /// any other value is TLS with verification (so <c>prefer</c> does not fall back).
    /// </summary>
    private static void ApplySslMode(NpgsqlConnectionStringBuilder b, string? mode)
    {
        switch (mode)
        {
            case null or "" or "disable":
                b.SslMode = SslMode.Disable;
                break;
            case "no-verify":
                b.SslMode = SslMode.Require;
                break;
            default:
                // As upstream: any other value (prefer, require, verify-full, ...) means TLS with verification.
                b.SslMode = SslMode.VerifyFull;
                break;
        }
    }

    internal static Dictionary<string, string> QueryParameters(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            result[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }

        return result;
    }

    internal static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal)
            : url;
}
