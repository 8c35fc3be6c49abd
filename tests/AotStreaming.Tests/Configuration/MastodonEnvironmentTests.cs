using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AotStreaming.Configuration;

public sealed class MastodonEnvironmentTests
{
    private static MastodonSettings Resolve(params (string Key, string Value)[] variables)
    {
        var dict = variables.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
        return MastodonEnvironment.Resolve(new EnvironmentReader(dict), new PostgresOptions());
    }

    private static NpgsqlConnectionStringBuilder Postgres(MastodonSettings settings) => new(settings.PostgresConnectionString);

    [Fact]
    public void Resolve_ProductionWithoutDbVariables_UsesProductionDefaults()
    {
        var settings = Resolve(("NODE_ENV", "production"));

        var pg = Postgres(settings);
        Assert.Equal(("localhost", 5432, "mastodon", "mastodon_production", 10, SslMode.Disable), (pg.Host, pg.Port, pg.Username, pg.Database, pg.MaxPoolSize, pg.SslMode));
        Assert.Equal(("127.0.0.1", 4000, LogLevel.Information), (settings.Bind, settings.Port, settings.LogLevel));
    }

    [Fact]
    public void Resolve_DbVariables_MapOntoConnectionString()
    {
        var settings = Resolve(("NODE_ENV", "production"), ("DB_HOST", "db"), ("DB_PORT", "6432"), ("DB_USER", "u"), ("DB_PASS", "p"), ("DB_NAME", "n"), ("DB_POOL", "25"));

        var pg = Postgres(settings);

        Assert.Equal(("db", 6432, "u", "p", "n", 25), (pg.Host, pg.Port, pg.Username, pg.Password, pg.Database, pg.MaxPoolSize));
    }

    [Fact]
    public void Resolve_DatabaseUrlAndDbVariables_DatabaseUrlWins()
    {
        var settings = Resolve(("NODE_ENV", "production"), ("DATABASE_URL", "postgres://url%40user:s3cr%3At@pg.example:5433/urldb?sslmode=require"), ("DB_HOST", "ignored"), ("DB_NAME", "ignored"));

        var pg = Postgres(settings);

        Assert.Equal(("pg.example", 5433, "url@user", "s3cr:t", "urldb", SslMode.VerifyFull), (pg.Host, pg.Port, pg.Username, pg.Password, pg.Database, pg.SslMode));
    }

    [Fact]
    public void Resolve_DatabaseUrlWithoutPassword_TakesDbPass()
    {
        var settings = Resolve(("DATABASE_URL", "postgresql://u@h/db"), ("DB_PASS", "fromenv"));

        var pg = Postgres(settings);

        Assert.Equal("fromenv", pg.Password);
    }

    [Fact]
    public void Resolve_DatabaseUrlUnixSocket_UsesHostQueryParameter()
    {
        var settings = Resolve(("DATABASE_URL", "postgres:///mastodon?host=/var/run/postgresql"));

        var pg = Postgres(settings);

        Assert.Equal(("/var/run/postgresql", "mastodon"), (pg.Host, pg.Database));
    }

    [Fact]
    public void Resolve_UnknownNodeEnvWithoutDatabaseUrl_Throws()
    {
        var act = () => Resolve(("NODE_ENV", "staging"));

        Assert.Throws<ConfigurationException>(act);
    }

    [Theory]
    [InlineData("", SslMode.Disable)]
    [InlineData("disable", SslMode.Disable)]
    [InlineData("no-verify", SslMode.Require)]
    [InlineData("prefer", SslMode.VerifyFull)]
    [InlineData("verify-full", SslMode.VerifyFull)]
    [InlineData("anything-else", SslMode.VerifyFull)]
    public void Resolve_DbSslMode_MapsLikeUpstream(string mode, SslMode expected)
    {
        var settings = Resolve(("NODE_ENV", "production"), ("DB_SSLMODE", mode));

        var pg = Postgres(settings);

        Assert.Equal(expected, pg.SslMode);
    }

    [Theory]
    [InlineData("DB_PORT", "abc")]
    [InlineData("DB_PORT", "0")]
    [InlineData("DB_PORT", "-5")]
    [InlineData("DB_PORT", "70000")]
    [InlineData("DB_POOL", "0")]
    [InlineData("DB_POOL", "-1")]
    [InlineData("DB_POOL", "many")]
    public void Resolve_BadDbNumber_ThrowsNamingVariableAndValue(string variable, string value)
    {
        var act = () => Resolve(("NODE_ENV", "production"), (variable, value));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Contains(variable, ex.Message, StringComparison.Ordinal);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_SeveralBadValues_ReportsEveryOneOnItsOwnLine()
    {
        var act = () => Resolve(("NODE_ENV", "production"), ("REDIS_URL", "notaurl"), ("DB_PORT", "abc"), ("DB_POOL", "0"), ("PORT", "x"), ("LOG_LEVEL", "loud"), ("BIND", "nowhere"));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Equal(
            ["REDIS_URL", "PORT", "BIND", "LOG_LEVEL", "DB_POOL", "DB_PORT"],
            ex.Problems.Select(p => p.Split(' ')[1]));
    }

    [Fact]
    public void Resolve_NumberWithTrailingText_TakesLeadingDigitsLikeParseInt()
    {
        var settings = Resolve(("NODE_ENV", "production"), ("DB_PORT", "6432abc"));

        var pg = Postgres(settings);

        Assert.Equal(6432, pg.Port);
    }

    [Fact]
    public void Resolve_RedisHostPortDb_MapsEndpointAndCredentials()
    {
        var settings = Resolve(("REDIS_HOST", "redis.internal"), ("REDIS_PORT", "6380"), ("REDIS_DB", "3"), ("REDIS_PASSWORD", "pw"), ("REDIS_USER", "newname"), ("REDIS_USERNAME", "oldname"));

        var redis = settings.Redis;

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(redis.EndPoints));
        Assert.Equal(("redis.internal", 6380, 3, "pw", "newname"), (endpoint.Host, endpoint.Port, redis.DefaultDatabase, redis.Password, redis.User));
    }

    [Fact]
    public void Resolve_OnlyRedisUsername_UsesItAsUser()
    {
        var settings = Resolve(("REDIS_USERNAME", "oldname"));

        var user = settings.Redis.User;

        Assert.Equal("oldname", user);
    }

    [Fact]
    public void Resolve_RedisUrl_WinsOverHostVariables()
    {
        var settings = Resolve(("REDIS_URL", "redis://user:p%40ss@cache.example:6390/2"), ("REDIS_HOST", "ignored"), ("REDIS_DB", "9"));

        var redis = settings.Redis;

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(redis.EndPoints));
        Assert.Equal(("cache.example", 6390, 2, "user", "p@ss", false), (endpoint.Host, endpoint.Port, redis.DefaultDatabase, redis.User, redis.Password, redis.Ssl));
    }

    [Fact]
    public void Resolve_RedissUrl_EnablesTls()
    {
        var settings = Resolve(("REDIS_URL", "rediss://:secret@cache.example"));

        var redis = settings.Redis;

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(redis.EndPoints));
        Assert.Equal((6379, true, "secret", (string?)null), (endpoint.Port, redis.Ssl, redis.Password, redis.User));
    }

    [Fact]
    public void Resolve_UnixRedisUrl_UsesSocketPathAndDb()
    {
        var settings = Resolve(("REDIS_URL", "unix:///run/redis/redis.sock?db=4"));

        var redis = settings.Redis;

        var endpoint = Assert.IsType<UnixDomainSocketEndPoint>(Assert.Single(redis.EndPoints));
        Assert.Equal(("/run/redis/redis.sock", 4), (endpoint.ToString(), redis.DefaultDatabase));
    }

    [Theory]
    [InlineData("http://cache.example")]
    [InlineData("redis://cache.example/notanumber")]
    [InlineData("not a url")]
    public void Resolve_BadRedisUrl_Throws(string url)
    {
        var act = () => Resolve(("REDIS_URL", url));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Contains("REDIS_URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_Sentinels_UseSentinelEndpointsAndMasterName()
    {
        var settings = Resolve(("REDIS_SENTINELS", "s1:26380, s2"), ("REDIS_SENTINEL_MASTER", "mymaster"), ("REDIS_SENTINEL_PORT", "26400"), ("REDIS_PASSWORD", "pw"));

        var redis = settings.Redis;

        var endpoints = redis.EndPoints.Cast<DnsEndPoint>().Select(e => $"{e.Host}:{e.Port}").ToArray();
        Assert.Equal(["s1:26380", "s2:26400"], endpoints);
        Assert.Equal(("mymaster", "pw"), (redis.ServiceName, redis.Password));
    }

    [Fact]
    public void Resolve_RedissWithUnreadableNodeExtraCaCerts_NamesVariableAndFile()
    {
        var act = () => Resolve(("REDIS_URL", "rediss://10.0.0.5:6380"), ("NODE_EXTRA_CA_CERTS", "/nonexistent/ca.pem"));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Contains("NODE_EXTRA_CA_CERTS", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/ca.pem", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_PlainRedisWithUnreadableNodeExtraCaCerts_IgnoresIt()
    {
        var settings = Resolve(("REDIS_URL", "redis://10.0.0.5:6380"), ("NODE_EXTRA_CA_CERTS", "/nonexistent/ca.pem"));

        Assert.False(settings.Redis.Ssl);
        Assert.Equal(0, settings.RedisTrust.ExtraRootCount);
    }

    [Fact]
    public void Resolve_SentinelsWithoutMaster_FallsBackToHostAndPort()
    {
        var settings = Resolve(("REDIS_SENTINELS", "s1:26380"));

        var endpoint = Assert.Single(settings.Redis.EndPoints).ToString();

        Assert.Equal("127.0.0.1:6379", endpoint);
        Assert.Null(settings.Redis.ServiceName);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("silly", LogLevel.Trace)]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("verbose", LogLevel.Debug)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("http", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("fatal", LogLevel.Critical)]
    [InlineData("silent", LogLevel.None)]
    public void Resolve_LogLevelName_MapsToLogLevel(string name, LogLevel expected)
    {
        var settings = Resolve(("LOG_LEVEL", name));

        var level = settings.LogLevel;

        Assert.Equal(expected, level);
    }

    [Theory]
    [InlineData("development", LogLevel.Debug)]
    [InlineData("production", LogLevel.Information)]
    public void Resolve_NoLogLevel_DefaultsByEnvironment(string environment, LogLevel expected)
    {
        var settings = Resolve(("NODE_ENV", environment));

        var level = settings.LogLevel;

        Assert.Equal(expected, level);
    }

    [Fact]
    public void Resolve_UnknownLogLevel_ThrowsNamingValue()
    {
        var act = () => Resolve(("LOG_LEVEL", "loud"));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Contains("LOG_LEVEL", ex.Message, StringComparison.Ordinal);
        Assert.Contains("loud", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[::1]", "::1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("", "")]
    public void Resolve_Bind_StripsIpv6Brackets(string bind, string expected)
    {
        var settings = Resolve(("BIND", bind));

        var result = settings.Bind;

        Assert.Equal(expected, result);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("70000")]
    public void Resolve_BadPort_Throws(string port)
    {
        var act = () => Resolve(("PORT", port));

        var ex = Assert.Throws<ConfigurationException>(act);
        Assert.Contains(port, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_SocketNamespaceAndTrustedProxies_AreCarriedThrough()
    {
        var settings = Resolve(("SOCKET", "/run/streaming.sock"), ("REDIS_NAMESPACE", "ns"), ("TRUSTED_PROXY_IP", "10.0.0.1, 192.168.0.0/16 fd00::/8"), ("PORT", "4001"));

        var described = settings.ListenDescription;

        Assert.Equal("/run/streaming.sock", described);
        Assert.Equal("ns", settings.RedisNamespace);
        Assert.Equal(["10.0.0.1", "192.168.0.0/16", "fd00::/8"], settings.TrustedProxies);
    }
}
